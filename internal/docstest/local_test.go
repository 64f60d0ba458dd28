package docstest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestMatchOutputWithRewrites(t *testing.T) {
	rw := []Rewrite{
		{Re: regexp.MustCompile(`(?m)^  waiting  .*\n`), With: ""},
		{Re: regexp.MustCompile(`\binvoke [0-9a-f]{8}\b`), With: "invoke <ID>"},
		{Re: regexp.MustCompile(`\b\d+ bytes\b`), With: "<N> bytes"},
	}
	want := "run 1\n  fetcher  invoke ba381eba: envelope 62793 bytes (21ms)\nsummary\n"
	got := "run 1\n  waiting  10s so far: the fetcher is running\n  fetcher  invoke 554c0598: envelope 62792 bytes (36ms)\nsummary\n"
	if err := MatchOutputWith(want, got, rw); err != nil {
		t.Errorf("rewritten outputs differ: %v", err)
	}
	if err := MatchOutput(want, got); err == nil {
		t.Error("without the rewrites the outputs should differ")
	}
	if err := MatchOutputWith(want, strings.Replace(got, "summary", "summary!", 1), rw); err == nil {
		t.Error("a drifted line passed once rewritten")
	}
}

// TestRunnerSkipAndEnv: a command listed in Skip is not run (a *SkipError says why), and Env
// adds variables to the run of a local block. A shell script stands in for the command.
func TestRunnerSkipAndEnv(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "local")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho \"db=$DATABASE_URL args=$*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Root: dir, Bins: map[string]string{"local": bin}, Skip: map[string]string{}}
	r.Env = func(name string) ([]string, error) {
		if name != "local" {
			return nil, errors.New("asked for another command")
		}
		return []string{"DATABASE_URL=postgres://x/fresh"}, nil
	}
	d, err := Parse("x.md", doc("'''sh local\ngo run ./cmd/local --runs 1\n'''\n'''text\ndb=postgres://x/fresh args=--runs 1\n'''\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Check(context.Background(), d.Blocks[0]); err != nil {
		t.Errorf("with the environment: %v", err)
	}
	r.Skip["local"] = "no DATABASE_URL"
	var skip *SkipError
	if err := r.Check(context.Background(), d.Blocks[0]); !errors.As(err, &skip) || skip.Reason != "no DATABASE_URL" {
		t.Errorf("skipped command: %v, want a *SkipError with the reason", err)
	}
}
