package seccomp

// The names below are the strings runtime-spec config-linux.md "Seccomp"
// defines (as of libseccomp v2.6.0). They live apart from the libseccomp
// mapping so that the stub build and the pure tests can use them too.

// actionNames lists every action of syscalls[].action and defaultAction.
var actionNames = []string{
	"SCMP_ACT_ALLOW",
	"SCMP_ACT_ERRNO",
	"SCMP_ACT_KILL",
	"SCMP_ACT_KILL_PROCESS",
	"SCMP_ACT_KILL_THREAD",
	"SCMP_ACT_LOG",
	"SCMP_ACT_NOTIFY",
	"SCMP_ACT_TRACE",
	"SCMP_ACT_TRAP",
}

// flagNames lists every value of flags.
var flagNames = []string{
	"SECCOMP_FILTER_FLAG_TSYNC",
	"SECCOMP_FILTER_FLAG_LOG",
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
}

// archNames lists every value of architectures.
var archNames = []string{
	"SCMP_ARCH_X86",
	"SCMP_ARCH_X86_64",
	"SCMP_ARCH_X32",
	"SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64",
	"SCMP_ARCH_MIPS",
	"SCMP_ARCH_MIPS64",
	"SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL",
	"SCMP_ARCH_MIPSEL64",
	"SCMP_ARCH_MIPSEL64N32",
	"SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64",
	"SCMP_ARCH_PPC64LE",
	"SCMP_ARCH_S390",
	"SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC",
	"SCMP_ARCH_PARISC64",
	"SCMP_ARCH_RISCV64",
	"SCMP_ARCH_LOONGARCH64",
	"SCMP_ARCH_M68K",
	"SCMP_ARCH_SH",
	"SCMP_ARCH_SHEB",
}

// op is a comparison operator of syscalls[].args[].op.
type op int

const (
	opNE op = iota + 1
	opLT
	opLE
	opEQ
	opGE
	opGT
	opMaskedEQ
)

// opNames maps the spec's operator names to op.
var opNames = map[string]op{
	"SCMP_CMP_NE":        opNE,
	"SCMP_CMP_LT":        opLT,
	"SCMP_CMP_LE":        opLE,
	"SCMP_CMP_EQ":        opEQ,
	"SCMP_CMP_GE":        opGE,
	"SCMP_CMP_GT":        opGT,
	"SCMP_CMP_MASKED_EQ": opMaskedEQ,
}

func (o op) String() string {
	for name, v := range opNames {
		if v == o {
			return name
		}
	}
	return "op(?)"
}
