package docs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lambdabridge/lambdabridge/internal/docstest"
	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

// commands are the project's commands whose flags docs may pass; notLocal are the ones a
// local block may not run, and why.
var (
	commands = []string{"plan", "local", "redrive"}
	notLocal = map[string]string{
		"redrive": "it needs an SQS queue and a writer, which only cmd/local --keep starts; its blocks name them with variables",
	}
)

// localRewrites make cmd/local's output comparable across machines and runs: what the run
// draws at random (invoke ids, the queue's name), what moves with the clock (Lambda-clock
// offsets, byte counts that carry the digits of a fetch time, today's date in the plan line),
// the machine's own (the build's platform and binary sizes, the database URL the test
// creates), and heartbeat lines, which only a slow machine prints.
var localRewrites = []docstest.Rewrite{
	{Re: regexp.MustCompile(`(?m)^  waiting  .*\n`), With: ""},
	{Re: regexp.MustCompile(`\binvoke [0-9a-f]{8}\b`), With: "invoke <ID>"},
	{Re: regexp.MustCompile(`-dlq-[0-9a-f]{8}\b`), With: "-dlq-<ID>"},
	{Re: regexp.MustCompile(`\bat \+\d+:\d{2}:`), With: "at +<OFFSET>:"},
	{Re: regexp.MustCompile(`\b\d+ bytes\b`), With: "<N> bytes"},
	{Re: regexp.MustCompile(`\(\w+/\w+ for the emulator, [\d.]+ [KMG]?B\)`), With: "(<PLATFORM> for the emulator, <SIZE>)"},
	{Re: regexp.MustCompile(`(?m)^database postgres://\S+: `), With: "database <DATABASE_URL>: "},
	{Re: regexp.MustCompile(`in force on \d{4}-\d{2}-\d{2}`), With: "in force on <TODAY>"},
}

// docFiles are the markdown files the test holds to the code, relative to the module root.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{"README.md", "infra/README.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range more {
		files = append(files, filepath.Join("docs", filepath.Base(f)))
	}
	return files
}

// TestDocs checks every doc against the code: local blocks are run and their output
// compared, every other command's flags and every stack key are checked, marked tables are
// complete, links resolve.
func TestDocs(t *testing.T) {
	ctx := context.Background()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	runner, err := docstest.Build(ctx, root, t.TempDir(), commands...)
	if err != nil {
		t.Fatal(err)
	}
	runner.NotLocal = notLocal
	runner.Subcommands = map[string][]string{"plan": {"prices"}}
	runner.Rewrites = map[string][]docstest.Rewrite{"local": localRewrites}
	runner.Skip = map[string]string{}
	if why := localServers(root); why != "" {
		if os.Getenv("LAMBDABRIDGE_REQUIRE_DB") == "1" {
			t.Fatalf("the cmd/local blocks cannot run: %s (LAMBDABRIDGE_REQUIRE_DB=1)", why)
		}
		runner.Skip["local"] = why
	}
	// Every cmd/local block runs against a fresh database of its own, as a new user's would.
	runner.Env = func(name string) ([]string, error) {
		if name != "local" {
			return nil, nil
		}
		return []string{"DATABASE_URL=" + testdb.New(t)}, nil
	}
	flags, err := runner.Flags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	schemaSrc, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := docstest.ParseSchema(schemaSrc)
	if err != nil {
		t.Fatal(err)
	}
	checker := &docstest.Checker{Commands: flags, Schema: schema, Root: root}
	statSources(t, root)

	ran := 0
	for _, name := range docFiles(t, root) {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(root, name))
			if err != nil {
				t.Fatal(err)
			}
			d, err := docstest.Parse(name, src)
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range checker.Check(d) {
				t.Error(err)
			}
			for _, b := range d.Blocks {
				if !b.Local {
					continue
				}
				ran++
				var skip *docstest.SkipError
				if err := runner.Check(ctx, b); errors.As(err, &skip) {
					t.Logf("%s:%d: %v", name, b.Line, skip)
				} else if err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
		})
	}
	if ran == 0 {
		t.Error("no local block ran: the docs test would prove nothing")
	}
}

// localServers says what cmd/local's blocks lack here ("" when nothing): a PostgreSQL server
// (DATABASE_URL, as scripts/test exports it) and fauxqs (npm ci).
func localServers(root string) string {
	if os.Getenv("DATABASE_URL") == "" {
		return "no DATABASE_URL (scripts/test starts a PostgreSQL and exports it)"
	}
	if _, err := sqslocal.Bin(root); err != nil {
		return fmt.Sprintf("no fauxqs (%v): run npm ci", err)
	}
	return ""
}

// TestReadmeLinksEveryDoc holds the README to its promise that every page of docs/ is
// linked from it.
func TestReadmeLinksEveryDoc(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, m := range regexp.MustCompile(`\]\((docs/[^)#\s]+)`).FindAllStringSubmatch(string(readme), -1) {
		linked[m[1]] = true
	}
	for _, f := range docFiles(t, "..") {
		if strings.HasPrefix(f, "docs/") && !linked[f] {
			t.Errorf("README.md does not link %s", f)
		}
	}
	if !slices.ContainsFunc(docFiles(t, ".."), func(f string) bool { return strings.HasPrefix(f, "docs/") }) {
		t.Error("no docs/*.md found")
	}
}

// statSources stats every source file of the module. The commands are built by a child
// `go build`, whose reads go test's cache cannot see; a stat through package os is recorded,
// so a changed command (or price book) re-runs this test instead of reusing a cached pass.
func statSources(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			switch e.Name() {
			case ".git", "node_modules", ".build":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".json", ".yaml", ".mod", ".sum", ".pem", ".txt":
			_, err := os.Stat(path)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
