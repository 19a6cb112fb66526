package criurpc

import (
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// A real exchange with the installed criu: a VERSION request, which needs
// no kernel support, is read by `criu swrk` and answered in a message this
// package decodes (the unit tests above check the codec against the
// generated package; this checks it against CRIU itself).
func TestSwrkVersion(t *testing.T) {
	typ := CriuReqType(10) // VERSION
	r := swrk(t, &CriuReq{Type: &typ})
	if r.GetType().String() != "VERSION" || !r.GetSuccess() {
		t.Fatalf("criu's answer: type %s, success %v, %q", r.GetType(), r.GetSuccess(), r.GetCrErrmsg())
	}
}

// A DUMP request with every kind of field (int, bool, string, nested and
// repeated messages, enum) is parsed by criu, which answers it as a DUMP:
// done, or failed with its reason (pid 0x7ffffff0 does not exist).
func TestSwrkDumpParsed(t *testing.T) {
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = dir.Close() }()
	mode := CriuCgMode_SOFT
	typ := CriuReqType_DUMP
	r := swrk(t, &CriuReq{Type: &typ, Opts: &CriuOpts{
		ImagesDirFd: Int32(int32(dir.Fd())), Pid: Int32(0x7ffffff0), LogLevel: Int32(4),
		LogFile: String("dump.log"), ShellJob: Bool(true), ManageCgroupsMode: &mode,
		ExtMnt:   []*ExtMountMap{{Key: String("/proc/kcore"), Val: String("/dev/null")}},
		External: []string{"mnt[]:"}, EmptyNs: Uint32(0),
	}})
	if r.GetType() != CriuReqType_DUMP || r.GetSuccess() {
		t.Fatalf("criu's answer: type %s, success %v, %q", r.GetType(), r.GetSuccess(), r.GetCrErrmsg())
	}
}

// swrk sends req to a new `criu swrk` and returns its first answer.
func swrk(t *testing.T, req *CriuReq) *CriuResp {
	t.Helper()
	bin, err := exec.LookPath("criu")
	if err != nil {
		t.Skip("criu is not installed")
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	client := os.NewFile(uintptr(fds[0]), "client")
	server := os.NewFile(uintptr(fds[1]), "server")
	defer func() { _ = client.Close() }()
	// criu's working directory is where it would write its log
	wd := t.TempDir()
	cmd := exec.Command(bin, "swrk", "3")
	cmd.ExtraFiles = []*os.File{server}
	cmd.Dir = wd
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = server.Close()
	defer func() { _ = cmd.Wait() }()
	if _, err := client.Write(Marshal(req)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := client.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var r CriuResp
	if err := Unmarshal(buf[:n], &r); err != nil {
		t.Fatalf("criu's answer %x: %v", buf[:n], err)
	}
	return &r
}
