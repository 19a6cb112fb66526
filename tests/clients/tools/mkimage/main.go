// mkimage turns a root filesystem directory into an image tarball that
// `docker load`, `podman load` and `ctr image import` all accept: there is
// no registry on the test machine, so every client gets its images this way.
//
// The tarball is an OCI image layout (oci-layout, index.json, blobs/) that
// also carries a Docker `manifest.json` pointing at the same blobs, the shape
// `docker save` has produced since Docker 25. The single layer is an
// uncompressed tar, built deterministically (sorted, fixed times, root-owned)
// so the same rootfs always gives the same image ID.
//
// usage: mkimage -rootfs DIR -name REPO:TAG [-entrypoint PATH] [-cmd ARG]... -o OUT.tar
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// epoch is every file's modification time: a fixed time keeps the digest stable.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type blob struct {
	data   []byte
	digest string // sha256:<hex>
}

func newBlob(data []byte) blob {
	return blob{data: data, digest: fmt.Sprintf("sha256:%x", sha256.Sum256(data))}
}

func (b blob) path() string { return "blobs/sha256/" + strings.TrimPrefix(b.digest, "sha256:") }

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	rootfs := flag.String("rootfs", "", "root filesystem directory")
	name := flag.String("name", "", "image name, REPO:TAG (a bare REPO gets docker.io/library/)")
	entrypoint := flag.String("entrypoint", "", "entrypoint path (optional)")
	out := flag.String("o", "", "output tarball")
	var cmd listFlag
	flag.Var(&cmd, "cmd", "an argument of the default command (repeatable)")
	flag.Parse()
	if *rootfs == "" || *name == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: mkimage -rootfs DIR -name REPO:TAG [-entrypoint PATH] [-cmd ARG]... -o OUT.tar")
		os.Exit(2)
	}
	if err := build(*rootfs, *name, *entrypoint, cmd, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func build(rootfs, name, entrypoint string, cmd []string, out string) error {
	layerData, err := layerTar(rootfs)
	if err != nil {
		return err
	}
	layer := newBlob(layerData)

	imgConfig := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch.Format(time.RFC3339),
		"config": map[string]any{
			"Env":        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			"Cmd":        nilIfEmpty(cmd),
			"Entrypoint": nilIfEmpty(splitNonEmpty(entrypoint)),
			"WorkingDir": "/",
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{layer.digest}},
		"history": []map[string]any{{"created": epoch.Format(time.RFC3339), "created_by": "mkimage " + rootfs}},
	}
	configData, err := json.Marshal(imgConfig)
	if err != nil {
		return err
	}
	config := newBlob(configData)

	manifestData, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: config.digest, Size: int64(len(config.data))},
		"layers":        []descriptor{{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: layer.digest, Size: int64(len(layer.data))}},
	})
	if err != nil {
		return err
	}
	manifest := newBlob(manifestData)

	full, tag := fullName(name)
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests": []descriptor{{
			MediaType: "application/vnd.oci.image.manifest.v1+json",
			Digest:    manifest.digest,
			Size:      int64(len(manifest.data)),
			// containerd names the image from the first annotation; Podman
			// (and the OCI layout spec) from the second.
			Annotations: map[string]string{
				"io.containerd.image.name":          full,
				"org.opencontainers.image.ref.name": tag,
			},
		}},
	})
	if err != nil {
		return err
	}
	dockerManifest, err := json.Marshal([]map[string]any{{
		"Config":   config.path(),
		"RepoTags": []string{name},
		"Layers":   []string{layer.path()},
	}})
	if err != nil {
		return err
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", index},
		{"manifest.json", dockerManifest},
		{layer.path(), layer.data},
		{config.path(), config.data},
		{manifest.path(), manifest.data},
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: epoch}); err != nil {
			return err
		}
	}
	for _, f := range files {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: epoch}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// fullName gives the fully qualified reference and the tag of name, the way
// the Docker tools expand a short one.
func fullName(name string) (full, tag string) {
	repo, tag := name, "latest"
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		repo, tag = name[:i], name[i+1:]
	}
	first, _, hasSlash := strings.Cut(repo, "/")
	switch {
	case !hasSlash:
		repo = "docker.io/library/" + repo
	case !strings.ContainsAny(first, ".:") && first != "localhost":
		repo = "docker.io/" + repo
	}
	return repo + ":" + tag, tag
}

// layerTar archives dir with paths relative to it, every entry owned by root
// and dated epoch, in lexical order (filepath.WalkDir's order).
func layerTar(dir string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		hdr.Name = rel
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = epoch, time.Time{}, time.Time{}
		hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(tw, f); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func splitNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
