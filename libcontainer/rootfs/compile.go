package rootfs

import (
	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/plan"
)

// The rootfs part of the create plan, run by the C stage (nsenter/rootfs.c):
// CompilePrepare emits the mounts and /dev (rootfs.Prepare's work),
// CompileEnter pivot_root or the no-pivot move (Enter's), CompileProtect
// the readonly and masked paths (ProtectPaths'). Until the C side executes
// every kind of mount they return plan.ErrUnsupported, and create keeps
// the Go init.

// CompilePrepare appends the steps that mount the container's filesystems.
func CompilePrepare(cfg *configs.Config, p *plan.Plan) error { return plan.ErrUnsupported }

// CompileEnter appends the steps that make the rootfs the container's root.
func CompileEnter(cfg *configs.Config, p *plan.Plan) error { return plan.ErrUnsupported }

// CompileProtect appends the steps for linux.readonlyPaths and maskedPaths.
func CompileProtect(cfg *configs.Config, p *plan.Plan) error { return plan.ErrUnsupported }
