// cri is a small CRI client for the containerd CRI test: the calls a kubelet
// makes for one pod (run the sandbox, create/start a container, exec, read
// its log, stop, remove), with crictl's command names. crictl itself
// (sigs.k8s.io/cri-tools) is not served by the module proxy this project can
// reach, so the test drives the same gRPC API (k8s.io/cri-api, runtime.v1)
// directly.
//
// usage: cri -r unix:///path/containerd.sock COMMAND ARGS...
//
//	runp [-runtime HANDLER] POD.json     -> pod ID
//	create POD-ID CTR.json POD.json      -> container ID
//	start ID | stop [-t S] ID | rm ID | stopp POD-ID | rmp POD-ID
//	exec [-t S] ID CMD...                (exits with CMD's status)
//	logs ID                              (the container's output, from its CRI log file)
//	inspect ID | inspectp POD-ID         (status as JSON; "info" decoded)
//	ps [-p POD-ID] | pods | images | version
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	rt "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func main() {
	endpoint := flag.String("r", "", "CRI endpoint, unix:///path")
	timeout := flag.Duration("timeout", 2*time.Minute, "deadline of each call")
	flag.Parse()
	if *endpoint == "" || flag.NArg() < 1 {
		fatalf("usage: cri -r unix:///path/sock COMMAND ARGS...")
	}
	conn, err := grpc.NewClient(*endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fatalf("connect %s: %v", *endpoint, err)
	}
	defer conn.Close()
	c := &client{rs: rt.NewRuntimeServiceClient(conn), is: rt.NewImageServiceClient(conn), timeout: *timeout}
	os.Exit(c.run(flag.Arg(0), flag.Args()[1:]))
}

type client struct {
	rs      rt.RuntimeServiceClient
	is      rt.ImageServiceClient
	timeout time.Duration
}

func (c *client) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.timeout)
}

func (c *client) run(cmd string, args []string) int {
	ctx, cancel := c.ctx()
	defer cancel()
	var err error
	switch cmd {
	case "version":
		var r *rt.VersionResponse
		if r, err = c.rs.Version(ctx, &rt.VersionRequest{}); err == nil {
			fmt.Printf("%s %s (CRI %s)\n", r.RuntimeName, r.RuntimeVersion, r.RuntimeApiVersion)
		}
	case "runp":
		fs := flag.NewFlagSet("runp", flag.ExitOnError)
		handler := fs.String("runtime", "", "runtime handler (what a RuntimeClass names)")
		fs.Parse(args)
		need(fs.Args(), 1, "runp [-runtime HANDLER] POD.json")
		var pod rt.PodSandboxConfig
		readJSON(fs.Arg(0), &pod)
		var r *rt.RunPodSandboxResponse
		if r, err = c.rs.RunPodSandbox(ctx, &rt.RunPodSandboxRequest{Config: &pod, RuntimeHandler: *handler}); err == nil {
			fmt.Println(r.PodSandboxId)
		}
	case "create":
		need(args, 3, "create POD-ID CTR.json POD.json")
		var ctr rt.ContainerConfig
		var pod rt.PodSandboxConfig
		readJSON(args[1], &ctr)
		readJSON(args[2], &pod)
		var r *rt.CreateContainerResponse
		if r, err = c.rs.CreateContainer(ctx, &rt.CreateContainerRequest{PodSandboxId: args[0], Config: &ctr, SandboxConfig: &pod}); err == nil {
			fmt.Println(r.ContainerId)
		}
	case "start":
		need(args, 1, "start ID")
		_, err = c.rs.StartContainer(ctx, &rt.StartContainerRequest{ContainerId: args[0]})
	case "stop":
		fs := flag.NewFlagSet("stop", flag.ExitOnError)
		t := fs.Int64("t", 10, "seconds before SIGKILL")
		fs.Parse(args)
		need(fs.Args(), 1, "stop [-t S] ID")
		_, err = c.rs.StopContainer(ctx, &rt.StopContainerRequest{ContainerId: fs.Arg(0), Timeout: *t})
	case "rm":
		need(args, 1, "rm ID")
		_, err = c.rs.RemoveContainer(ctx, &rt.RemoveContainerRequest{ContainerId: args[0]})
	case "stopp":
		need(args, 1, "stopp POD-ID")
		_, err = c.rs.StopPodSandbox(ctx, &rt.StopPodSandboxRequest{PodSandboxId: args[0]})
	case "rmp":
		need(args, 1, "rmp POD-ID")
		_, err = c.rs.RemovePodSandbox(ctx, &rt.RemovePodSandboxRequest{PodSandboxId: args[0]})
	case "exec":
		fs := flag.NewFlagSet("exec", flag.ExitOnError)
		t := fs.Int64("t", 60, "seconds the command may take")
		fs.Parse(args)
		need(fs.Args(), 2, "exec [-t S] ID CMD...")
		var r *rt.ExecSyncResponse
		r, err = c.rs.ExecSync(ctx, &rt.ExecSyncRequest{ContainerId: fs.Arg(0), Cmd: fs.Args()[1:], Timeout: *t})
		if err == nil {
			os.Stdout.Write(r.Stdout)
			os.Stderr.Write(r.Stderr)
			return int(r.ExitCode)
		}
	case "logs":
		need(args, 1, "logs ID")
		var r *rt.ContainerStatusResponse
		if r, err = c.rs.ContainerStatus(ctx, &rt.ContainerStatusRequest{ContainerId: args[0]}); err == nil {
			err = printLog(r.Status.LogPath)
		}
	case "inspect":
		need(args, 1, "inspect ID")
		var r *rt.ContainerStatusResponse
		if r, err = c.rs.ContainerStatus(ctx, &rt.ContainerStatusRequest{ContainerId: args[0], Verbose: true}); err == nil {
			printStatus(r.Status, r.Info, map[string]any{"state": r.Status.State.String(), "exit_code": r.Status.ExitCode})
		}
	case "inspectp":
		need(args, 1, "inspectp POD-ID")
		var r *rt.PodSandboxStatusResponse
		if r, err = c.rs.PodSandboxStatus(ctx, &rt.PodSandboxStatusRequest{PodSandboxId: args[0], Verbose: true}); err == nil {
			printStatus(r.Status, r.Info, map[string]any{"state": r.Status.State.String()})
		}
	case "ps":
		fs := flag.NewFlagSet("ps", flag.ExitOnError)
		pod := fs.String("p", "", "only this pod's containers")
		fs.Parse(args)
		filter := &rt.ContainerFilter{PodSandboxId: *pod}
		var r *rt.ListContainersResponse
		if r, err = c.rs.ListContainers(ctx, &rt.ListContainersRequest{Filter: filter}); err == nil {
			for _, ct := range r.Containers {
				fmt.Printf("%s %s %s\n", ct.Id, ct.Metadata.Name, ct.State)
			}
		}
	case "pods":
		var r *rt.ListPodSandboxResponse
		if r, err = c.rs.ListPodSandbox(ctx, &rt.ListPodSandboxRequest{}); err == nil {
			for _, p := range r.Items {
				fmt.Printf("%s %s %s\n", p.Id, p.Metadata.Name, p.State)
			}
		}
	case "images":
		var r *rt.ListImagesResponse
		if r, err = c.is.ListImages(ctx, &rt.ListImagesRequest{}); err == nil {
			for _, im := range r.Images {
				fmt.Printf("%s %s\n", im.Id, strings.Join(im.RepoTags, ","))
			}
		}
	default:
		fatalf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cri %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// printStatus prints a status with the verbose info map's values (JSON
// strings) decoded in place, so a test can read e.g. .info.pid with jq, and
// top-level fields that the generated types' JSON would write as numbers
// (enums) or leave out (zero values).
func printStatus(status any, info map[string]string, top map[string]any) {
	out := map[string]any{"status": status}
	for k, v := range top {
		out[k] = v
	}
	for k, v := range info {
		var decoded any
		if json.Unmarshal([]byte(v), &decoded) == nil {
			out[k] = decoded
		} else {
			out[k] = v
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

// printLog prints the content of a CRI log file, whose lines are
// "TIMESTAMP STREAM TAG CONTENT" (TAG F for a full line, P for a partial one).
func printLog(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 4)
		if len(fields) < 4 {
			return fmt.Errorf("%s: malformed CRI log line %q", path, sc.Text())
		}
		w := os.Stdout
		if fields[1] == "stderr" {
			w = os.Stderr
		}
		fmt.Fprint(w, fields[3])
		if fields[2] != "P" {
			fmt.Fprintln(w)
		}
	}
	return sc.Err()
}

func readJSON(path string, v any) {
	data, err := os.ReadFile(path)
	if err != nil {
		fatalf("%v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		fatalf("%s: %v", path, err)
	}
}

func need(args []string, n int, usage string) {
	if len(args) < n {
		fatalf("usage: cri -r ENDPOINT %s (got %s)", usage, strconv.Quote(strings.Join(args, " ")))
	}
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "cri: "+format+"\n", a...)
	os.Exit(2)
}
