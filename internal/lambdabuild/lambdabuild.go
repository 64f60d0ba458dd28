// Package bootstrap builds a handler package into the reproducible `bootstrap` executable the
// provided.al2023 Lambda runtime runs. The same sources, Go toolchain and options give the same
// bytes (so `pulumi preview` shows no change when nothing changed): the build is static
// (CGO_ENABLED=0), stripped, with -trimpath, no VCS stamp and an empty build id.
package lambdabuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// Architectures Build accepts (GOARCH values; Lambda calls them arm64 and x86_64).
const (
	ArchARM64 = "arm64" // the default: Graviton, cheaper per GB-second
	ArchAMD64 = "amd64" // x86_64; also what the Runtime Interface Emulator runs on this host
)

// Options says what to build.
type Options struct {
	// Package is the handler's package, relative to ModuleRoot ("./lambdas/fetcher").
	Package string
	// Arch is the GOARCH: "arm64" (default when empty) or "amd64".
	Arch string
	// OutDir receives <OutDir>/<last element of Package>/bootstrap.
	OutDir string
	// ModuleRoot is the directory holding go.mod; empty means the current directory.
	ModuleRoot string
}

// Flags are the go build flags Build passes, in order, before -o.
var Flags = []string{"-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}

// Command returns the go build argument list and the environment overrides for o, with the
// output written to out.
func Command(o Options, out string) (args []string, env []string) {
	args = append([]string{"build"}, Flags...)
	args = append(args, "-o", out, o.Package)
	// GOFLAGS and GOEXPERIMENT are cleared: a developer's -gcflags, -race or -cover there
	// would change the bytes (and make pulumi preview show a change) without a source change.
	env = []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + o.Arch, "GOAMD64=v1", "GOARM64=v8.0", "GOFLAGS=", "GOEXPERIMENT="}
	return args, env
}

// Build compiles o.Package with the go command found on PATH and returns the absolute path of
// the bootstrap file. The file is written under a temporary name and renamed into place, so a
// concurrent reader never sees a partial binary.
func Build(ctx context.Context, o Options) (string, error) {
	if o.Arch == "" {
		o.Arch = ArchARM64
	}
	if o.Arch != ArchARM64 && o.Arch != ArchAMD64 {
		return "", fmt.Errorf("bootstrap: architecture %q: want %q or %q", o.Arch, ArchARM64, ArchAMD64)
	}
	if o.Package == "" || o.OutDir == "" {
		return "", errors.New("bootstrap: Options.Package and Options.OutDir are required")
	}
	root := o.ModuleRoot
	if root == "" {
		root = "."
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("bootstrap: module root: %w", err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("bootstrap: module root %s has no go.mod: %w", root, err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("bootstrap: the go command is needed to build %s: %w", o.Package, err)
	}
	outDir, err := filepath.Abs(filepath.Join(o.OutDir, path.Base(filepath.ToSlash(o.Package))))
	if err != nil {
		return "", fmt.Errorf("bootstrap: output dir: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("bootstrap: output dir: %w", err)
	}
	tmp, err := os.CreateTemp(outDir, ".bootstrap-*")
	if err != nil {
		return "", fmt.Errorf("bootstrap: temp file: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // no-op after the rename

	args, env := Command(o, tmp.Name())
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...) // later entries win
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("bootstrap: go %s (GOARCH=%s, in %s): %w\n%s", strings.Join(args, " "), o.Arch, root, err, strings.TrimSpace(stderr.String()))
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return "", fmt.Errorf("bootstrap: chmod: %w", err)
	}
	final := filepath.Join(outDir, "bootstrap")
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("bootstrap: install %s: %w", final, err)
	}
	return final, nil
}
