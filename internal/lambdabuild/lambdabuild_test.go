package lambdabuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot is the repository root, two levels above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func sha(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestBuildReproducible builds the fetcher twice into two directories and expects the same
// bytes, a static linux/arm64 ELF named bootstrap, executable.
func TestBuildReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the fetcher twice (slow); skipped under -short")
	}
	ctx := context.Background()
	var paths []string
	for _, dir := range []string{t.TempDir(), t.TempDir()} {
		p, err := Build(ctx, Options{Package: "./lambdas/fetcher", OutDir: dir, ModuleRoot: moduleRoot(t)})
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(dir, "fetcher", "bootstrap"); p != want {
			t.Fatalf("path %s, want %s", p, want)
		}
		paths = append(paths, p)
	}
	// A third build under a developer's GOFLAGS that would change the code (no optimisation,
	// no inlining) must not change the bytes either.
	t.Setenv("GOFLAGS", "-gcflags=all=-N -l")
	dir := t.TempDir()
	p, err := Build(ctx, Options{Package: "./lambdas/fetcher", OutDir: dir, ModuleRoot: moduleRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, p)
	a, b, c := sha(t, paths[0]), sha(t, paths[1]), sha(t, paths[2])
	if a != b || a != c {
		t.Fatalf("builds differ: %s, %s, with GOFLAGS %s", a, b, c)
	}
	fi, err := os.Stat(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("mode %v is not executable", fi.Mode())
	}
	f, err := elf.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Errorf("ELF machine %v type %v, want AARCH64 EXEC", f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary has an ELF interpreter: not static")
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("binary has a symbol table: not stripped (-s)")
	}
	// No absolute path of this machine (the module root) leaks in: -trimpath.
	raw, _ := os.ReadFile(paths[0])
	if bytes.Contains(raw, []byte(moduleRoot(t))) {
		t.Errorf("binary contains the module root path %s", moduleRoot(t))
	}
	t.Logf("arm64 bootstrap: %d bytes, sha256 %s", fi.Size(), a)
}

func TestBuildErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"bad arch", Options{Package: "./lambdas/fetcher", OutDir: t.TempDir(), Arch: "x86_64"}, `architecture "x86_64": want "arm64" or "amd64"`},
		{"no package", Options{OutDir: t.TempDir()}, "Package and Options.OutDir are required"},
		{"no go.mod", Options{Package: "./x", OutDir: t.TempDir(), ModuleRoot: t.TempDir()}, "has no go.mod"},
		{"missing package", Options{Package: "./handlers/nosuch", OutDir: t.TempDir(), ModuleRoot: moduleRoot(t), Arch: "amd64"}, "handlers/nosuch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(ctx, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	args, env := Command(Options{Package: "./lambdas/fetcher", Arch: "amd64"}, "/o/bootstrap")
	want := "build -tags lambda.norpc -trimpath -buildvcs=false -ldflags=-s -w -buildid= -o /o/bootstrap ./lambdas/fetcher"
	if got := strings.Join(args, " "); got != want {
		t.Errorf("args %q\nwant %q", got, want)
	}
	if got := strings.Join(env, " "); got != "CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOAMD64=v1 GOARM64=v8.0 GOFLAGS= GOEXPERIMENT=" {
		t.Errorf("env %q", got)
	}
}
