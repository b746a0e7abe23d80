package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
)

// spoke subject: a data subject's rights, one subcommand each (export here; erasure in its own
// file), each registering itself with registerSubject.
func init() {
	register(command{name: "subject", summary: "a data subject's rights: 'subject export ID --to FILE', 'subject erase --yes ID' (owner, manager)", run: runSubject})
}

type subjectCommand struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

var subjectCommands = map[string]subjectCommand{}

func registerSubject(name, summary string, run func(ctx context.Context, env Env, args []string) error) {
	subjectCommands[name] = subjectCommand{summary, run}
}

func runSubject(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 {
		if sc, ok := subjectCommands[args[0]]; ok {
			return sc.run(ctx, env, args[1:])
		}
	}
	subjectUsage(env.Stderr)
	return errUsage{"name a subcommand"}
}

func subjectUsage(w io.Writer) {
	names := make([]string, 0, len(subjectCommands))
	for n := range subjectCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "Usage: spoke subject <subcommand> --as USER ...")
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, subjectCommands[n].summary)
	}
}
