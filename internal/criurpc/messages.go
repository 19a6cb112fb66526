// Package criurpc is the part of CRIU's RPC protocol (criu/images/rpc.proto,
// proto2) that berth speaks to `criu swrk`: the messages and fields berth
// sends and reads, with their field numbers, and a hand-written encoder and
// decoder of the protobuf wire format for them.
//
// It replaces the generated go-criu rpc package in the binary because that
// package, through the protobuf module, does work at package init in every
// berth process (it builds the file descriptor of rpc.proto and hashes the
// executable to seed output randomisation): about 40 page faults and a few
// system calls on each create, start, state or delete, which need no CRIU.
// The tests check every message against the generated package.
//
// Field names follow the generated Go names, so that the code building a
// request reads the same; optional fields are pointers, as proto2 presence
// needs.
package criurpc

import "strconv"

// CriuReqType is rpc.proto's criu_req_type.
type CriuReqType int32

// The request types berth sends or reads (the others keep their numbers
// for String).
const (
	CriuReqType_EMPTY    CriuReqType = 0
	CriuReqType_DUMP     CriuReqType = 1
	CriuReqType_RESTORE  CriuReqType = 2
	CriuReqType_PRE_DUMP CriuReqType = 4
	CriuReqType_NOTIFY   CriuReqType = 6
)

var reqTypeNames = [...]string{
	"EMPTY", "DUMP", "RESTORE", "CHECK", "PRE_DUMP", "PAGE_SERVER", "NOTIFY",
	"CPUINFO_DUMP", "CPUINFO_CHECK", "FEATURE_CHECK", "VERSION", "WAIT_PID",
	"PAGE_SERVER_CHLD", "SINGLE_PRE_DUMP",
}

// String is the enum's name in rpc.proto, or its number when unknown, as
// the generated package prints it (berth's error messages carry it).
func (t CriuReqType) String() string {
	if t >= 0 && int(t) < len(reqTypeNames) {
		return reqTypeNames[t]
	}
	return strconv.Itoa(int(t))
}

// CriuCgMode is rpc.proto's criu_cg_mode.
type CriuCgMode int32

const (
	CriuCgMode_IGNORE  CriuCgMode = 0
	CriuCgMode_CG_NONE CriuCgMode = 1
	CriuCgMode_PROPS   CriuCgMode = 2
	CriuCgMode_SOFT    CriuCgMode = 3
	CriuCgMode_FULL    CriuCgMode = 4
	CriuCgMode_STRICT  CriuCgMode = 5
	CriuCgMode_DEFAULT CriuCgMode = 6
)

// CriuPageServerInfo is criu_page_server_info.
type CriuPageServerInfo struct {
	Address *string // 1
	Port    *int32  // 2
}

// GetAddress returns Address, or "" when unset.
func (m *CriuPageServerInfo) GetAddress() string {
	if m != nil && m.Address != nil {
		return *m.Address
	}
	return ""
}

// GetPort returns Port, or 0 when unset.
func (m *CriuPageServerInfo) GetPort() int32 {
	if m != nil && m.Port != nil {
		return *m.Port
	}
	return 0
}

// ExtMountMap is ext_mount_map.
type ExtMountMap struct {
	Key *string // 1
	Val *string // 2
}

// GetKey returns Key, or "" when unset.
func (m *ExtMountMap) GetKey() string {
	if m != nil && m.Key != nil {
		return *m.Key
	}
	return ""
}

// JoinNamespace is join_namespace.
type JoinNamespace struct {
	Ns     *string // 1
	NsFile *string // 2
}

// InheritFd is inherit_fd.
type InheritFd struct {
	Key *string // 1
	Fd  *int32  // 2
}

// CgroupRoot is cgroup_root.
type CgroupRoot struct {
	Ctrl *string // 1
	Path *string // 2
}

// CriuOpts is criu_opts: the fields berth sets, by number.
type CriuOpts struct {
	ImagesDirFd       *int32              // 1
	Pid               *int32              // 2
	LeaveRunning      *bool               // 3
	ExtUnixSk         *bool               // 4
	TcpEstablished    *bool               // 5
	EvasiveDevices    *bool               // 6
	ShellJob          *bool               // 7
	FileLocks         *bool               // 8
	LogLevel          *int32              // 9
	LogFile           *string             // 10
	Ps                *CriuPageServerInfo // 11
	NotifyScripts     *bool               // 12
	Root              *string             // 13
	ParentImg         *string             // 14
	TrackMem          *bool               // 15
	AutoDedup         *bool               // 16
	WorkDirFd         *int32              // 17
	LinkRemap         *bool               // 18
	ExtMnt            []*ExtMountMap      // 23
	ManageCgroups     *bool               // 24
	CgRoot            []*CgroupRoot       // 25
	RstSibling        *bool               // 26
	InheritFd         []*InheritFd        // 27
	ManageCgroupsMode *CriuCgMode         // 34
	External          []string            // 37
	EmptyNs           *uint32             // 38
	JoinNs            []*JoinNamespace    // 39
	FreezeCgroup      *string             // 44
	TcpSkipInFlight   *bool               // 46
	LazyPages         *bool               // 48
	StatusFd          *int32              // 49
	OrphanPtsMaster   *bool               // 50
	LsmProfile        *string             // 53
	LsmMountContext   *string             // 63
}

// CriuReq is criu_req.
type CriuReq struct {
	Type          *CriuReqType // 1, required
	Opts          *CriuOpts    // 2
	NotifySuccess *bool        // 3
}

// GetType returns Type, or EMPTY when unset.
func (m *CriuReq) GetType() CriuReqType {
	if m != nil && m.Type != nil {
		return *m.Type
	}
	return CriuReqType_EMPTY
}

// CriuNotify is criu_notify.
type CriuNotify struct {
	Script *string // 1
	Pid    *int32  // 2
}

// GetScript returns Script, or "" when unset.
func (m *CriuNotify) GetScript() string {
	if m != nil && m.Script != nil {
		return *m.Script
	}
	return ""
}

// GetPid returns Pid, or 0 when unset.
func (m *CriuNotify) GetPid() int32 {
	if m != nil && m.Pid != nil {
		return *m.Pid
	}
	return 0
}

// CriuDumpResp is criu_dump_resp.
type CriuDumpResp struct {
	Restored *bool // 1
}

// CriuRestoreResp is criu_restore_resp.
type CriuRestoreResp struct {
	Pid *int32 // 1, required
}

// GetPid returns Pid, or 0 when unset.
func (m *CriuRestoreResp) GetPid() int32 {
	if m != nil && m.Pid != nil {
		return *m.Pid
	}
	return 0
}

// CriuResp is criu_resp: the fields berth reads; the others (page server,
// features, version) are skipped.
type CriuResp struct {
	Type     *CriuReqType     // 1, required
	Success  *bool            // 2, required
	Dump     *CriuDumpResp    // 3
	Restore  *CriuRestoreResp // 4
	Notify   *CriuNotify      // 5
	CrErrno  *int32           // 7
	CrErrmsg *string          // 9
	Status   *int32           // 11
}

// GetType returns Type, or EMPTY when unset.
func (m *CriuResp) GetType() CriuReqType {
	if m != nil && m.Type != nil {
		return *m.Type
	}
	return CriuReqType_EMPTY
}

// GetSuccess returns Success, or false when unset.
func (m *CriuResp) GetSuccess() bool {
	return m != nil && m.Success != nil && *m.Success
}

// GetNotify returns Notify (nil when unset; its getters take nil).
func (m *CriuResp) GetNotify() *CriuNotify {
	if m != nil {
		return m.Notify
	}
	return nil
}

// GetRestore returns Restore (nil when unset; its getters take nil).
func (m *CriuResp) GetRestore() *CriuRestoreResp {
	if m != nil {
		return m.Restore
	}
	return nil
}

// GetCrErrno returns CrErrno, or 0 when unset.
func (m *CriuResp) GetCrErrno() int32 {
	if m != nil && m.CrErrno != nil {
		return *m.CrErrno
	}
	return 0
}

// GetCrErrmsg returns CrErrmsg, or "" when unset.
func (m *CriuResp) GetCrErrmsg() string {
	if m != nil && m.CrErrmsg != nil {
		return *m.CrErrmsg
	}
	return ""
}

// Int32, Uint32, Bool and String return a pointer to their argument, for
// the optional fields.
func Int32(v int32) *int32 { return &v }

// Uint32 returns a pointer to v.
func Uint32(v uint32) *uint32 { return &v }

// Bool returns a pointer to v.
func Bool(v bool) *bool { return &v }

// String returns a pointer to v.
func String(v string) *string { return &v }
