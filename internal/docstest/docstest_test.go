package docstest

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const fence = "```"

// doc builds a markdown text, writing ``` as ”' so the cases stay readable.
func doc(s string) []byte { return []byte(strings.ReplaceAll(s, "'''", fence)) }

func TestParse(t *testing.T) {
	src := doc(`# Title

'''sh
go run ./cmd/plan
'''

'''sh local exit=2
go run ./cmd/plan --payload 12XB
'''

'''text
plan: --payload: bad
'''

<!-- docs: stack keys -->
| key | default |
|---|---|
| ` + "`schedule`" + ` | ` + "`rate(10 minutes)`" + ` |
after
`)
	d, err := Parse("x.md", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Blocks) != 3 {
		t.Fatalf("blocks: got %d, want 3", len(d.Blocks))
	}
	run := d.Blocks[1]
	if !run.Local || run.Exit != 2 || run.Line != 7 || run.Output != d.Blocks[2] || d.Blocks[0].Local {
		t.Errorf("local block parsed as %+v (output %p, want %p)", run, run.Output, d.Blocks[2])
	}
	if d.Blocks[2].Body != "plan: --payload: bad\n" {
		t.Errorf("output body %q", d.Blocks[2].Body)
	}
	if len(d.Tables) != 1 || d.Tables[0].Marker != "stack keys" || len(d.Tables[0].Rows) != 1 ||
		d.Tables[0].Rows[0].Cells[1] != "`rate(10 minutes)`" || d.Tables[0].Rows[0].Line != 18 {
		t.Errorf("tables: %+v", d.Tables)
	}
	if last := d.Prose[len(d.Prose)-1]; last.Text != "after" || last.N != 19 {
		t.Errorf("last prose line %+v, want line 19 \"after\"", last)
	}
}

func TestParseRejectsBrokenConventions(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unclosed fence", "'''sh\ngo run ./cmd/plan\n", "never closed"},
		{"misspelt local", "'''sh locl\ngo run ./cmd/plan\n'''\n", `unknown word "locl"`},
		{"local text block", "'''text local\nx\n'''\n", "only a command block"},
		{"exit without local", "'''sh exit=2\nx\n'''\n", "exit=N needs local"},
		{"prose between command and output", "'''sh local\ngo run ./cmd/plan\n'''\nIt prints:\n'''text\nx\n'''\n", "no output block right after"},
		{"local block at the end", "'''sh local\ngo run ./cmd/plan\n'''\n", "no output block"},
		{"marker without table", "<!-- docs: stack keys -->\n\ntext\n", "not followed by a table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.md", doc(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "bad.md:") {
				t.Errorf("got %v, want an error naming bad.md and containing %q", err, tc.want)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []Command
	}{
		{"comment and quotes", "go run ./cmd/plan --schedule 'cron(0 * * * ? *)'   # hourly\n",
			[]Command{{Line: 1, Words: []string{"go", "run", "./cmd/plan", "--schedule", "cron(0 * * * ? *)"}}}},
		{"continuation", "go run ./cmd/plan \\\n  --payload 279KB\nnpm ci\n",
			[]Command{{Line: 1, Words: []string{"go", "run", "./cmd/plan", "--payload", "279KB"}}, {Line: 3, Words: []string{"npm", "ci"}}}},
		{"substitution is a command of its own", `go run ./cmd/redrive --queue-url "$(pulumi stack output dlqUrl)"`,
			[]Command{
				{Line: 1, Words: []string{"pulumi", "stack", "output", "dlqUrl"}},
				{Line: 1, Words: []string{"go", "run", "./cmd/redrive", "--queue-url", "$(pulumi stack output dlqUrl)"}, Expands: true},
			}},
		{"and, pipe, redirection, assignment", "FOO=1 go test ./... 2>&1 | tee log && echo ok > /dev/null",
			[]Command{
				{Line: 1, Words: []string{"go", "test", "./..."}, Expands: true},
				{Line: 1, Words: []string{"tee", "log"}, Expands: true},
				{Line: 1, Words: []string{"echo", "ok"}, Expands: true},
			}},
		{"double-quoted escapes", `echo "a \"b\" \$c"`, []Command{{Line: 1, Words: []string{"echo", `a "b" $c`}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Commands(tc.src, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if _, err := Commands("echo 'open", 1); err == nil {
		t.Error("an unclosed quote must be an error")
	}
	got, err := PromptCommands("$ go run ./cmd/local \\\n  --runs 1\nplan ...\n$ npm ci\n", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []Command{{Line: 10, Words: []string{"go", "run", "./cmd/local", "--runs", "1"}}, {Line: 13, Words: []string{"npm", "ci"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("prompt commands: got %+v, want %+v", got, want)
	}
}

// testFlags is a FlagSet as ParseUsage reads it from a real flag.FlagSet's -h output.
func testFlags(t *testing.T) FlagSet {
	t.Helper()
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.String("payload", "", "measured raw size (config lambdabridge:payloadSize)")
	fs.String("measure", "", "GET this `URL` once")
	fs.Bool("spill", false, "spill oversized records (config lambdabridge:spill)")
	fs.Int("n", 3, "a one-letter flag")
	fs.Duration("timeout", 0, "time limit")
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	fs.PrintDefaults()
	got, err := ParseUsage("Usage of plan:\n" + buf.String())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestParseUsage(t *testing.T) {
	want := FlagSet{
		"payload": {Name: "payload", TakesValue: true, Key: "lambdabridge:payloadSize"},
		"measure": {Name: "measure", TakesValue: true},
		"spill":   {Name: "spill", Key: "lambdabridge:spill"},
		"n":       {Name: "n", TakesValue: true},
		"timeout": {Name: "timeout", TakesValue: true},
	}
	if got := testFlags(t); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if _, err := ParseUsage("plan: unknown command\n"); err == nil {
		t.Error("a usage without flags must be an error")
	}
}

func TestCheckArgs(t *testing.T) {
	fs := testFlags(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--payload", "279KB", "--spill", "-n=2", "--measure=http://x"}, nil},
		{[]string{"-h"}, nil},
		{[]string{"--payloads", "279KB", "--spill"}, []string{"--payloads is not a flag of cmd/plan"}},
		{[]string{"--spill", "true"}, []string{`argument "true": cmd/plan takes only flags (a boolean flag takes its value as --flag=false)`}},
		{[]string{"--payload"}, []string{"--payload of cmd/plan needs a value"}},
		{[]string{"--timeout", "1s", "--", "x"}, []string{`argument "x" after --: cmd/plan takes only flags`}},
	} {
		if got := fs.CheckArgs("cmd/plan", tc.args); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("CheckArgs(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

const testSchema = `name: lambdabridge
config:
  aws:region:
    value: us-east-1
  schedule:
    type: string
    default: rate(10 minutes)
  payloadSize:
    type: string
    default: ""
  spill:
    type: boolean
    default: false
  subnetIds:
    type: array
    default: []
`

func testChecker(t *testing.T) *Checker {
	t.Helper()
	s, err := ParseSchema([]byte(testSchema))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"aws:region": "us-east-1", "lambdabridge:schedule": "rate(10 minutes)",
		"lambdabridge:payloadSize": `""`, "lambdabridge:spill": "false", "lambdabridge:subnetIds": "[]"}
	if !reflect.DeepEqual(s.Defaults, want) {
		t.Fatalf("schema defaults %v, want %v", s.Defaults, want)
	}
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "other.md"), []byte("# Other doc\n## The `--x` flag, explained\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return &Checker{Commands: map[string]FlagSet{"plan": testFlags(t)}, Schema: s, Root: root}
}

func TestCheck(t *testing.T) {
	c := testChecker(t)
	for _, tc := range []struct {
		name, src string
		want      []string // one substring per expected error, in order; none for a good doc
	}{
		{"good", "Set `lambdabridge:schedule` (type `lambdabridge:network:Network`); see [other](other.md#the---x-flag-explained).\n" +
			"'''sh\ngo run ./cmd/plan --payload 1KB --spill   # fine\npulumi config set --path subnetIds[0] subnet-1\npulumi config set aws:region eu-west-1\n'''\n" +
			"Run `go run ./cmd/plan -n 2` or `pulumi up -c lambdabridge:spill=true`.\n", nil},
		{"unknown flag in a command block", "'''sh\ngo run ./cmd/plan --payloads 1KB\n'''\n",
			[]string{"x.md:2: go run ./cmd/plan --payloads 1KB: --payloads is not a flag of cmd/plan"}},
		{"unknown flag in a transcript", "'''text\n$ go run ./cmd/plan --nope\nout\n'''\n", []string{"x.md:2: go run ./cmd/plan --nope: --nope is not a flag of cmd/plan"}},
		{"unknown flag in inline code", "Try `go run ./cmd/plan --nope`.\n", []string{"x.md:1: go run ./cmd/plan --nope: --nope is not a flag of cmd/plan"}},
		{"unknown command", "'''sh\ngo run ./cmd/deploy\n'''\n", []string{"there is no command ./cmd/deploy"}},
		{"unknown key set", "'''sh\npulumi config set --secret payloadSise 1KB\n'''\n", []string{"x.md:2: pulumi config set --secret payloadSise 1KB: payloadSise is not a stack key"}},
		{"unknown key in a substitution", "'''sh\necho \"$(pulumi config get -s dev nope)\"\n'''\n", []string{"x.md:2: pulumi config get -s dev nope: nope is not a stack key"}},
		{"unknown key in prose", "Set lambdabridge:spil to true.\n", []string{"x.md:1: lambdabridge:spil is not a stack key of Pulumi.yaml"}},
		{"missing link target", "See [the planner](docs/nope.md).\n", []string{"x.md:1: link docs/nope.md: docs/nope.md does not exist"}},
		{"missing anchor", "See [other](other.md#flags).\n", []string{"other.md has no heading with anchor #flags"}},
		{"flags table: a wrong key, a wrong flag, one missing", "<!-- docs: flags of cmd/plan -->\n" +
			"| flag | stack key |\n|---|---|\n| `--payload` | `payloadSize` |\n| `--spill` | `schedule` |\n| `--measure URL` | |\n| `--bogus` | |\n| `--timeout` | |\n",
			[]string{"x.md:5: row `--spill`: the stack key column names [lambdabridge:schedule], the flags set [lambdabridge:spill]",
				"x.md:7: --bogus is not a flag of cmd/plan",
				"x.md:1: the flags table of cmd/plan does not list --n"}},
		{"keys table: a wrong default, an unknown key, missing keys", "<!-- docs: stack keys -->\n" +
			"| key | default |\n|---|---|\n| `schedule` | `rate(5 minutes)` |\n| `nope` | `x` |\n| `aws:region` | `us-east-1` |\n",
			[]string{"x.md:4: lambdabridge:schedule: the default column says \"`rate(5 minutes)`\", Pulumi.yaml's default is `rate(10 minutes)`",
				"x.md:5: lambdabridge:nope is not a stack key",
				"x.md:1: the stack keys table does not list lambdabridge:payloadSize, lambdabridge:spill, lambdabridge:subnetIds"}},
		{"unknown marker", "<!-- docs: every flag -->\n| a |\n|---|\n", []string{`unknown docs marker "every flag"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse("x.md", doc(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			errs := c.Check(d)
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors %v, want %d: %q", len(errs), errs, len(tc.want), tc.want)
			}
			for i, err := range errs {
				if !strings.Contains(err.Error(), tc.want[i]) {
					t.Errorf("error %d: got %q, want it to contain %q", i, err, tc.want[i])
				}
			}
		})
	}
}

func TestMatchOutput(t *testing.T) {
	got := "sqs at http://127.0.0.1:35319 \nrun 1 at 2026-11-25T10:45:00Z took 21ms\nwrote /tmp/lbpg.abc123/x.log\nline 4\nline 5\nsummary\n"
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"same after normalising", "sqs at http://127.0.0.1:4000\nrun 1 at 2025-01-01T00:00:00Z took 1.9s\nwrote /tmp/other/y.log\nline 4\nline 5\nsummary\n\n", true},
		{"excerpt", "sqs at http://127.0.0.1:1\n...\nsummary\n", true},
		{"elision of nothing", "...\nsqs at http://127.0.0.1:1\n...\nrun 1 at <TIME> took 5s\n...\nline 4\nline 5\nsummary\n...\n", true},
		{"drifted line", "sqs at http://127.0.0.1:1\n...\nline 5\nsummary!\n", false},
		{"missing line", "sqs at http://127.0.0.1:1\nline 4\n...\n", false},
		{"output goes on", "sqs at http://127.0.0.1:1\nrun 1 at <TIME> took 5s\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := MatchOutput(tc.want, got)
			if (err == nil) != tc.ok {
				t.Errorf("MatchOutput: %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if n := Normalise("max event age 1h0m0s; 10.58 MB; fetch 800 ms; 12µs"); n != "max event age <DURATION>; 10.58 MB; fetch 800 ms; <DURATION>" {
		t.Errorf("Normalise: %q", n)
	}
}

// TestRunnerCheck runs local blocks against the real cmd/plan: a true doc passes, a drifted
// output, a wrong exit status and a block that is not one plain command fail.
func TestRunnerCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/plan")
	}
	ctx := context.Background()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(ctx, root, t.TempDir(), "plan")
	if err != nil {
		t.Fatal(err)
	}
	r.NotLocal["local"] = "needs PostgreSQL"
	// The cases lean only on the report's first line and on exit statuses, so a price or a
	// message changing elsewhere does not break the checker's own test.
	const plan = "go run ./cmd/plan --as-of 2026-11-25 --payload 279KB --compressed 19KB --region us-east-1"
	for _, tc := range []struct {
		name, src, want string // want: "" for a pass, else a substring of the error
	}{
		{"true excerpt", "'''sh local\n" + plan + "\n'''\n'''text\nlambdabridge plan: destination, $13.98/month in total (us-east-1, as of 2026-11-25, free tier always-free)\n...\n'''\n", ""},
		{"drifted line", "'''sh local\n" + plan + "\n'''\n'''text\nlambdabridge plan: destination, $13.98/month in total (us-east-1, as of 2026-11-26, free tier always-free)\n...\n'''\n", "output drifted"},
		{"output longer than the doc", "'''sh local\n" + plan + "\n'''\n'''text\nlambdabridge plan: destination, $13.98/month in total (us-east-1, as of 2026-11-25, free tier always-free)\n'''\n", "the output goes on"},
		{"expected exit status", "'''sh local exit=2\ngo run ./cmd/plan --payload 12XB\n'''\n'''text\n...\n'''\n", ""},
		{"wrong exit status", "'''sh local\ngo run ./cmd/plan --payload 12XB\n'''\n'''text\n...\n'''\n", "exit status 2, the doc expects 0"},
		{"pipe", "'''sh local\n" + plan + " | head\n'''\n'''text\n...\n'''\n", "exactly one command"},
		{"variable", "'''sh local\ngo run ./cmd/plan --region $REGION\n'''\n'''text\n...\n'''\n", "plain words"},
		{"not our command", "'''sh local\nscripts/test\n'''\n'''text\n...\n'''\n", "parsed only"},
		{"a command not run", "'''sh local\ngo run ./cmd/local\n'''\n'''text\n...\n'''\n", "cmd/local is not run by the docs test (needs PostgreSQL)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse("x.md", doc(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			err = r.Check(ctx, d.Blocks[0])
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want a pass", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
