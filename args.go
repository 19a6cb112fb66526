package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/libcontainer"
)

// Callers written against runc put flags after the container ID
// (`delete ID --force`, `update ID --memory 1M`): runc's CLI library moves
// them in front before it parses. urfave/cli v2 (Go's flag package) stops
// at the first argument that is not a flag, which would make them surplus
// arguments, silently ignored. So berth moves them itself, before the app
// parses anything.

// keepArgOrder names the commands whose arguments after the ID are not
// reordered: exec and ps pass them on (a command and its flags, ps(1)
// options), and kill takes them as they come, as runc's do.
var keepArgOrder = map[string]bool{"exec": true, "ps": true, "kill": true}

// reorderArgs returns argv with the flags of the command that follow its
// positional arguments moved in front of them. Global flags, and
// everything after a "--", stay where they are.
func reorderArgs(app *cli.App, argv []string) []string {
	i := 1
	for i < len(argv) {
		a := argv[i]
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") {
			break
		}
		if f := lookupFlag(app.Flags, a); f != nil && takesValue(f) && !strings.Contains(a, "=") {
			i++ // its value
		}
		i++
	}
	if i >= len(argv) {
		return argv
	}
	cmd := app.Command(argv[i])
	if cmd == nil || keepArgOrder[cmd.Name] {
		return argv
	}
	rest := argv[i+1:]
	var flags, operands []string
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			// Everything after it is an operand, and stays one.
			operands = append(append([]string{"--"}, operands...), rest[j+1:]...)
			break
		}
		if a == "-" || !strings.HasPrefix(a, "-") {
			operands = append(operands, a)
			continue
		}
		// An unknown flag goes in front too: the parser then names it,
		// rather than taking it for an argument.
		flags = append(flags, a)
		if f := lookupFlag(cmd.Flags, a); f != nil && takesValue(f) && !strings.Contains(a, "=") && j+1 < len(rest) {
			j++
			flags = append(flags, rest[j])
		}
	}
	out := append([]string{}, argv[:i+1]...)
	out = append(out, flags...)
	return append(out, operands...)
}

// lookupFlag finds the flag that arg (-x, --x, --x=v) names in flags.
func lookupFlag(flags []cli.Flag, arg string) cli.Flag {
	name := strings.TrimLeft(arg, "-")
	name, _, _ = strings.Cut(name, "=")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	if v, ok := f.(cli.DocGenerationFlag); ok {
		return v.TakesValue()
	}
	return false
}

// checkArgCount refuses surplus arguments: runc fails a command given
// more arguments than it takes, rather than ignoring what the caller
// meant (a flag in the wrong place, a second ID).
func checkArgCount(c *cli.Context, max int) error {
	if c.NArg() <= max {
		return nil
	}
	extra := c.Args().Slice()[max:]
	if max == 0 {
		return fmt.Errorf("%s: unexpected arguments %q (it takes none)", c.Command.Name, extra)
	}
	return fmt.Errorf("%s: unexpected arguments after the container ID: %q", c.Command.Name, extra)
}

// maxArgs is how many arguments a command that takes a container ID takes
// in all, where that is not just the ID: kill takes a signal after it;
// exec and ps pass the rest on (-1: no limit).
var maxArgs = map[string]int{"kill": 2, "exec": -1, "ps": -1}

// containerID returns the ID argument of a command, after checking that
// nothing else is there that it would ignore.
func containerID(c *cli.Context) (string, error) {
	if c.NArg() < 1 {
		return "", fmt.Errorf("%s: container ID missing", c.Command.Name)
	}
	max, ok := maxArgs[c.Command.Name]
	if !ok {
		max = 1
	}
	if max >= 0 {
		if err := checkArgCount(c, max); err != nil {
			return "", err
		}
	}
	id := c.Args().First()
	if err := libcontainer.ValidateID(id); err != nil {
		return "", err
	}
	return id, nil
}
