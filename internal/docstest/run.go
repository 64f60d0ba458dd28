package docstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// RunTimeout bounds one local block's run.
const RunTimeout = 2 * time.Minute

// Runner runs local blocks: the project's commands, each built once.
type Runner struct {
	// Root is the module root: commands are built from it and run in it, as `go run ./cmd/NAME`
	// run there would.
	Root string
	// Bins maps a command name ("plan") to its built binary.
	Bins map[string]string
	// NotLocal maps a command that a local block may not run to the reason, for the error.
	NotLocal map[string]string
	// Subcommands lists, per command, the subcommands with flags of their own
	// ("plan" -> "prices" for `go run ./cmd/plan prices --region R`): Flags asks each for its
	// -h and files the flag set under "NAME SUB".
	Subcommands map[string][]string
	// Skip maps a command whose local blocks cannot run here (a server it needs is missing)
	// to the reason: Run returns a *SkipError for them instead of running them.
	Skip map[string]string
	// Env gives the extra environment of a local block of a command (a fresh database for
	// cmd/local), or an error; nil gives none.
	Env func(name string) ([]string, error)
	// Rewrites are, per command, the rewrites its output needs before comparing
	// (MatchOutputWith).
	Rewrites map[string][]Rewrite
}

// SkipError says a local block was not run, and why (Runner.Skip).
type SkipError struct {
	Command, Reason string
}

func (e *SkipError) Error() string {
	return fmt.Sprintf("local block of cmd/%s not run: %s", e.Command, e.Reason)
}

// Build builds ./cmd/NAME of the module at root into outDir for each name and returns a
// Runner for them. Each binary is what `go run ./cmd/NAME` would run.
func Build(ctx context.Context, root, outDir string, names ...string) (*Runner, error) {
	r := &Runner{Root: root, Bins: map[string]string{}, NotLocal: map[string]string{}}
	for _, n := range names {
		bin := filepath.Join(outDir, n)
		if runtime.GOOS == "windows" {
			bin += ".exe"
		}
		cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", bin, "./cmd/"+n)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/%s: %w\n%s", n, err, out)
		}
		r.Bins[n] = bin
	}
	return r, nil
}

// Usage returns what `go run ./cmd/NAME -h` prints (stdout and stderr; its exit status is
// not part of the flag list).
func (r *Runner) Usage(ctx context.Context, name string, sub ...string) (string, error) {
	out, _, err := r.exec(ctx, name, append(sub, "-h"))
	return out, err
}

// Flags asks every built command for its flags (its -h output).
func (r *Runner) Flags(ctx context.Context) (map[string]FlagSet, error) {
	all := map[string]FlagSet{}
	for n := range r.Bins {
		u, err := r.Usage(ctx, n)
		if err != nil {
			return nil, err
		}
		fs, err := ParseUsage(u)
		if err != nil {
			return nil, fmt.Errorf("./cmd/%s -h: %w", n, err)
		}
		all[n] = fs
		for _, sub := range r.Subcommands[n] {
			u, err := r.Usage(ctx, n, sub)
			if err != nil {
				return nil, err
			}
			fs, err := ParseUsage(u)
			if err != nil {
				return nil, fmt.Errorf("./cmd/%s %s -h: %w", n, sub, err)
			}
			all[n+" "+sub] = fs
		}
	}
	return all, nil
}

// Run runs a local block's command and returns its output (stdout and stderr interleaved)
// and exit status. The block must hold exactly one command, `go run ./cmd/NAME` of a built
// command with plain words (nothing for a shell to expand).
func (r *Runner) Run(ctx context.Context, b *Block) (string, int, error) {
	cmds, err := Commands(b.Body, b.Line+1)
	if err != nil {
		return "", 0, err
	}
	if len(cmds) != 1 {
		return "", 0, fmt.Errorf("a local block holds exactly one command, this one %d", len(cmds))
	}
	c := cmds[0]
	if c.Expands {
		return "", 0, fmt.Errorf("%s: a local block's command is plain words: no variables, substitutions, pipes or redirections", c)
	}
	name, args, ok := OurCommand(c.Words)
	if !ok {
		return "", 0, fmt.Errorf("%s: a local block runs `go run ./cmd/NAME ...`; anything else is parsed only (drop \"local\")", c)
	}
	if why, no := r.NotLocal[name]; no {
		return "", 0, fmt.Errorf("%s: cmd/%s is not run by the docs test (%s): drop \"local\"", c, name, why)
	}
	if _, ok := r.Bins[name]; !ok {
		return "", 0, fmt.Errorf("%s: there is no command ./cmd/%s", c, name)
	}
	if why, skip := r.Skip[name]; skip {
		return "", 0, &SkipError{Command: name, Reason: why}
	}
	var env []string
	if r.Env != nil {
		if env, err = r.Env(name); err != nil {
			return "", 0, fmt.Errorf("%s: environment: %w", c, err)
		}
	}
	return r.exec(ctx, name, args, env...)
}

// Check runs a local block and compares its output and exit status with the doc's.
func (r *Runner) Check(ctx context.Context, b *Block) error {
	if b.Output == nil {
		return fmt.Errorf("line %d: the local block has no output block", b.Line)
	}
	out, code, err := r.Run(ctx, b)
	var skip *SkipError
	if errors.As(err, &skip) {
		return skip
	}
	if err != nil {
		return fmt.Errorf("line %d: %w", b.Line, err)
	}
	var errs []error
	if code != b.Exit {
		errs = append(errs, fmt.Errorf("line %d: exit status %d, the doc expects %d (write \"exit=%d\" in the info string if that is right)", b.Line, code, b.Exit, code))
	}
	name := ""
	if cmds, err := Commands(b.Body, b.Line+1); err == nil && len(cmds) == 1 {
		name, _, _ = OurCommand(cmds[0].Words)
	}
	if err := MatchOutputWith(b.Output.Body, out, r.Rewrites[name]); err != nil {
		hint := ""
		shown := out // as compared: a date the rewrites or the normalisers replace is no hint
		for _, rw := range r.Rewrites[name] {
			shown = rw.Re.ReplaceAllString(shown, rw.With)
		}
		if today := time.Now().UTC().Format(time.DateOnly); strings.Contains(Normalise(shown), today) {
			hint = fmt.Sprintf(" (the output holds today's date %s: pin the day with --as-of so the doc stays true)", today)
		}
		errs = append(errs, fmt.Errorf("line %d: %s%s: %w", b.Line, strings.TrimSpace(b.Body), hint, err))
	}
	return errors.Join(errs...)
}

// exec runs a built command in the root with a time limit, with env added to this
// process's environment.
func (r *Runner) exec(ctx context.Context, name string, args []string, env ...string) (string, int, error) {
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.Bins[name], args...)
	cmd.Dir = r.Root
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0, nil
	case errors.As(err, &exit) && ctx.Err() == nil:
		return out.String(), exit.ExitCode(), nil
	default:
		return out.String(), 0, fmt.Errorf("run ./cmd/%s %s: %w", name, strings.Join(args, " "), err)
	}
}
