package plan

import (
	"bytes"
	"encoding/binary"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	p := New()
	p.Add(OpEnv, "process.env", U(2), S("A=1"), S(""))
	p.Add(OpPersonality, "linux.personality", I(-500))
	p.Add(OpSeccomp, "linux.seccomp", U(8), Raw([]byte{1, 2, 3, 4, 5, 6, 7, 8}))
	p.Add(OpReady, "ready")
	b, err := p.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{OpEnv, "process.env", []any{uint64(2), "A=1", ""}},
		{OpPersonality, "linux.personality", []any{uint64(0xfffffffffffffe0c)}},
		{OpSeccomp, "linux.seccomp", []any{uint64(8), []byte{1, 2, 3, 4, 5, 6, 7, 8}}},
		{OpReady, "ready", nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %#v, want %#v", got, want)
	}
}

// The layout of one step, byte by byte: the C decoder reads exactly this.
func TestWireLayout(t *testing.T) {
	p := New()
	p.Add(OpUmask, "f", U(0o22), S("ab"))
	b, _ := p.Bytes()
	want := []byte("BPL1")
	want = append(want, 18, 0, 1, 0, 17, 0, 0, 0, 'f')
	want = append(want, 'u', 0o22, 0, 0, 0, 0, 0, 0, 0)
	want = append(want, 's', 3, 0, 0, 0, 'a', 'b', 0)
	if !bytes.Equal(b, want) {
		t.Fatalf("encoded % x\nwant      % x", b, want)
	}
}

func TestAddRefusesNUL(t *testing.T) {
	p := New()
	p.Add(OpEnv, "process.env", U(1), S("A=\x00x"))
	if _, err := p.Bytes(); err == nil || !strings.Contains(err.Error(), "process.env") {
		t.Fatalf("want an error naming process.env, got %v", err)
	}
}

func TestAddRefusesOversize(t *testing.T) {
	p := New()
	p.Add(OpSeccomp, "linux.seccomp", Raw(make([]byte, MaxSize)))
	if _, err := p.Bytes(); err == nil || !strings.Contains(err.Error(), "linux.seccomp") {
		t.Fatalf("want an error naming linux.seccomp, got %v", err)
	}
}

// Every truncation of a valid plan, and every corrupted length, is refused
// or decodes to fewer steps: never a read past the end.
func TestDecodeRejectsTruncatedAndCorrupt(t *testing.T) {
	p := New()
	p.Add(OpArgs, "process.args", U(2), S("sh"), S("-c"))
	p.Add(OpSeccomp, "linux.seccomp", U(0), Raw(make([]byte, 16)))
	b, _ := p.Bytes()
	for n := 0; n < len(b); n++ {
		steps, err := Decode(b[:n])
		if err == nil && len(steps) == 2 {
			t.Fatalf("truncated to %d bytes, decoded both steps", n)
		}
	}
	for i := len(Magic); i < len(b); i++ {
		c := append([]byte(nil), b...)
		c[i] ^= 0xff
		_, _ = Decode(c) // must not panic
	}
	bad := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(bad[len(Magic)+4:], 0xffffffff)
	if _, err := Decode(bad); err == nil {
		t.Fatal("a data length past the end was accepted")
	}
	if _, err := Decode([]byte("BPL0")); err == nil {
		t.Fatal("a wrong magic was accepted")
	}
}

func FuzzDecode(f *testing.F) {
	p := New()
	p.Add(OpUser, "process.user", U(1000), U(1000), U(1), U(10))
	b, _ := p.Bytes()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Decode(b)
	})
}

// The op numbers of nsenter/plan.h are the Go ones.
func TestOpsMatchC(t *testing.T) {
	h, err := os.ReadFile("../../nsenter/plan.h")
	if err != nil {
		t.Fatal(err)
	}
	goOps := map[string]Op{
		"SETSID": OpSetsid, "CONSOLE": OpConsole, "ENV": OpEnv,
		"HOME": OpHome, "ARGS": OpArgs, "LOOK_PATH": OpLookPath, "PERSONALITY": OpPersonality,
		"SCHEDULER": OpScheduler, "IOPRIO": OpIOPrio, "AFFINITY": OpAffinity, "MEM_POLICY": OpMemPolicy,
		"CAP_BOUNDING": OpCapBounding, "CWD": OpCwd, "USER": OpUser, "CAPS": OpCaps,
		"NO_NEW_PRIVS": OpNoNewPrivs, "UMASK": OpUmask, "CLOSE_FDS": OpCloseFds, "SECCOMP": OpSeccomp,
		"READY": OpReady, "RLIMIT": OpRlimit, "EXEC_LABEL": OpExecLabel, "DROP_KEPT": OpDropKept,
		"EXECVE":  OpExecve,
		"KEYRING": OpKeyring, "HOOKS_SYNC": OpHooksSync, "HOOKS": OpHooks, "HOSTNAME": OpHostname,
		"DOMAINNAME": OpDomainname, "LOOPBACK": OpLoopback, "SYSCTL": OpSysctl,
		"REOPEN_DEV_NULL": OpReopenDevNull, "LISTEN_PID": OpListenPid, "FIFO_WAIT": OpFifoWait,
		"FIFO_OK":   OpFifoOK,
		"ROOT_BIND": OpRootBind, "MOUNT": OpMount, "CGROUP_MOUNT": OpCgroupMount, "DEVICE": OpDevice,
		"DEV_LINKS": OpDevLinks, "ENTER": OpEnter, "MKDIR_CWD": OpMkdirCwd, "DEV_READONLY": OpDevReadonly,
		"ROOT_READONLY": OpRootReadonly, "READONLY_PATH": OpReadonlyPath, "MASK_PATH": OpMaskPath,
		"ROOTFS_DONE": OpRootfsDone,
	}
	cOps := map[string]Op{}
	for _, m := range regexp.MustCompile(`(?m)^\s*OP_([A-Z_]+) = (\d+),`).FindAllStringSubmatch(string(h), -1) {
		n, _ := strconv.Atoi(m[2])
		cOps[m[1]] = Op(n)
	}
	if !reflect.DeepEqual(goOps, cOps) {
		t.Fatalf("nsenter/plan.h has %v, Go has %v", cOps, goOps)
	}
	for name, v := range map[string]int{
		"LABEL_APPARMOR": LabelAppArmor, "LABEL_SELINUX": LabelSELinux,
		"MOUNT_FS": MountFS, "MOUNT_BIND": MountBind, "MOUNT_IDMAP": MountIDMap, "MOUNT_TMPCOPYUP": MountTmpcopyup,
		"HOW_INHERIT_MODE": HowInheritMode, "HOW_ORDINARY_DIR": HowOrdinaryDir, "HOW_ASK_SOURCE": HowAskSource,
		"HOW_USERNS": HowUserNS, "HOW_KEEP_RW": HowKeepRW, "HOW_BIND_SOURCE": HowBindSource,
		"ENTER_PIVOT": EnterPivot, "ENTER_NO_PIVOT": EnterNoPivot, "ENTER_CHROOT": EnterChroot,
	} {
		if !regexp.MustCompile(`#define ` + name + ` ` + strconv.Itoa(v) + `\b`).Match(h) {
			t.Errorf("nsenter/plan.h: %s is not %d", name, v)
		}
	}
	if !strings.Contains(string(h), `#define PLAN_MAGIC "`+Magic+`"`) {
		t.Error("nsenter/plan.h: PLAN_MAGIC differs")
	}
}
