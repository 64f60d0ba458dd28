package docstest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Flag is one flag of a command, as its -h output describes it.
type Flag struct {
	// Name is the flag's name without dashes.
	Name string
	// TakesValue is false for a boolean flag (-h prints no value name for it).
	TakesValue bool
	// Key is the stack key the flag overrides ("(config lambdabridge:payloadSize)" in its
	// usage), empty when none.
	Key string
}

// FlagSet is a command's flags by name.
type FlagSet map[string]Flag

var (
	usageFlagRE = regexp.MustCompile(`^  -([A-Za-z0-9][A-Za-z0-9_.-]*)(?: ([^\t]+?))?(?:\t.*)?$`)
	usageKeyRE  = regexp.MustCompile(`\(config ([A-Za-z0-9_]+:[A-Za-z0-9_]+)\)`)
)

// ParseUsage reads the flag list a Go flag.FlagSet prints for -h (PrintDefaults): a line
// "  -name" (boolean) or "  -name type" per flag, its usage indented below. A usage that
// lists no flag is an error.
func ParseUsage(usage string) (FlagSet, error) {
	fs := FlagSet{}
	last := ""
	for _, ln := range strings.Split(usage, "\n") {
		if m := usageFlagRE.FindStringSubmatch(ln); m != nil {
			last = m[1]
			fs[last] = Flag{Name: last, TakesValue: m[2] != ""}
		}
		if last == "" {
			continue
		}
		if m := usageKeyRE.FindStringSubmatch(ln); m != nil {
			f := fs[last]
			f.Key = m[1]
			fs[last] = f
		}
	}
	if len(fs) == 0 {
		return nil, fmt.Errorf("no flags in the usage text %q", firstLine(usage))
	}
	return fs, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Names returns the flag names, sorted.
func (fs FlagSet) Names() []string {
	names := make([]string, 0, len(fs))
	for n := range fs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Schema is a Pulumi project's config schema: every key it declares, with its default.
type Schema struct {
	// Namespace is the project's name, the namespace of its own keys ("lambdabridge").
	Namespace string
	// Defaults maps each full key ("lambdabridge:schedule", "aws:region") to its default as
	// a doc writes it: the string itself, `""` for an empty string, `[]` for an empty list.
	Defaults map[string]string
}

// ParseSchema reads a Pulumi.yaml: its name and its config keys. A key without a namespace
// belongs to the project; a provider key (aws:region) counts with the value the file gives it.
func ParseSchema(src []byte) (Schema, error) {
	var p struct {
		Name   string `yaml:"name"`
		Config map[string]struct {
			Default any `yaml:"default"`
			Value   any `yaml:"value"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(src, &p); err != nil {
		return Schema{}, fmt.Errorf("Pulumi.yaml: %w", err)
	}
	if p.Name == "" || len(p.Config) == 0 {
		return Schema{}, fmt.Errorf("Pulumi.yaml: no name or no config keys")
	}
	s := Schema{Namespace: p.Name, Defaults: map[string]string{}}
	for k, v := range p.Config {
		d := v.Default
		if d == nil {
			d = v.Value
		}
		s.Defaults[s.Full(k)] = renderDefault(d)
	}
	return s, nil
}

func renderDefault(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		if v == "" {
			return `""`
		}
		return v
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}

// Full returns key with the project namespace when it has none ("schedule" ->
// "lambdabridge:schedule").
func (s Schema) Full(key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return s.Namespace + ":" + key
}

// Has says whether key (with or without the project namespace) is declared.
func (s Schema) Has(key string) bool {
	_, ok := s.Defaults[s.Full(key)]
	return ok
}

// Keys returns every full key, sorted.
func (s Schema) Keys() []string {
	keys := make([]string, 0, len(s.Defaults))
	for k := range s.Defaults {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Checker holds what a doc is checked against.
type Checker struct {
	// Commands maps each of the project's commands ("plan" for ./cmd/plan) to its flags.
	Commands map[string]FlagSet
	// Schema is Pulumi.yaml's config schema.
	Schema Schema
	// Root is the repository root: a Doc's Name is relative to it, and so are its links.
	Root string
}

// Check returns every problem of d that needs no run: flags and stack keys named by its
// command blocks, transcripts ("$ " lines) and inline code, stack keys named anywhere,
// marked tables, and relative links (the file must exist; an #anchor must be a heading).
func (c *Checker) Check(d *Doc) []error {
	var errs []error
	fail := func(line int, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", d.Name, line, fmt.Sprintf(format, a...)))
	}
	for _, b := range d.Blocks {
		var cmds []Command
		var err error
		if shellLangs[b.Lang] {
			cmds, err = Commands(b.Body, b.Line+1)
		} else {
			cmds, err = PromptCommands(b.Body, b.Line+1)
		}
		if err != nil {
			fail(b.Line, "block does not parse as shell: %v", err)
			continue
		}
		for _, cmd := range cmds {
			for _, p := range c.CheckCommand(cmd) {
				fail(cmd.Line, "%s", p)
			}
		}
	}
	for _, ln := range d.Prose {
		for _, span := range inlineCodeRE.FindAllStringSubmatch(ln.Text, -1) {
			if !strings.HasPrefix(span[1], "go run ./cmd/") && !strings.HasPrefix(span[1], "pulumi ") {
				continue
			}
			cmds, err := Commands(span[1], ln.N)
			if err != nil {
				fail(ln.N, "`%s` does not parse as shell: %v", span[1], err)
				continue
			}
			for _, cmd := range cmds {
				for _, p := range c.CheckCommand(cmd) {
					fail(ln.N, "%s", p)
				}
			}
		}
	}
	keyRE := regexp.MustCompile(`\b` + regexp.QuoteMeta(c.Schema.Namespace) + `:([A-Za-z_][A-Za-z0-9_]*)(:?)`)
	for i, ln := range d.Lines {
		for _, m := range keyRE.FindAllStringSubmatch(ln, -1) {
			if m[2] == ":" { // a type token (lambdabridge:network:Network), not a key
				continue
			}
			if !c.Schema.Has(m[1]) {
				fail(i+1, "%s:%s is not a stack key of Pulumi.yaml", c.Schema.Namespace, m[1])
			}
		}
	}
	for _, t := range d.Tables {
		for _, p := range c.checkTable(t) {
			fail(p.line, "%s", p.msg)
		}
	}
	errs = append(errs, c.checkLinks(d)...)
	return errs
}

var inlineCodeRE = regexp.MustCompile("`([^`]+)`")

// goRunRE matches the package argument of `go run` naming one of the project's commands.
var goRunRE = regexp.MustCompile(`^(?:\./|github\.com/lambdabridge/lambdabridge/)cmd/([A-Za-z0-9_-]+)/?$`)

// OurCommand reports whether words run one of the project's commands ("go run ./cmd/plan
// ..."); it returns the command's name and its arguments.
func OurCommand(words []string) (name string, args []string, ok bool) {
	if len(words) < 3 || words[0] != "go" || words[1] != "run" {
		return "", nil, false
	}
	for i := 2; i < len(words); i++ {
		if strings.HasPrefix(words[i], "-") { // a go build flag
			continue
		}
		m := goRunRE.FindStringSubmatch(words[i])
		if m == nil {
			return "", nil, false
		}
		return m[1], words[i+1:], true
	}
	return "", nil, false
}

// CheckCommand returns the problems of one command: a flag that the project's command does
// not have (or a value it lacks, or an argument it does not take), a stack key that
// Pulumi.yaml does not declare.
func (c *Checker) CheckCommand(cmd Command) []string {
	if name, args, ok := OurCommand(cmd.Words); ok {
		fs, known := c.Commands[name]
		if !known {
			return []string{fmt.Sprintf("%s: there is no command ./cmd/%s (commands: %s)", cmd, name, strings.Join(c.commandNames(), ", "))}
		}
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			if sub, ok := c.Commands[name+" "+args[0]]; ok { // a subcommand: its own flags
				fs, name, args = sub, name+" "+args[0], args[1:]
			}
		}
		var out []string
		for _, p := range fs.CheckArgs("cmd/"+name, args) {
			out = append(out, fmt.Sprintf("%s: %s", cmd, p))
		}
		return out
	}
	if len(cmd.Words) >= 2 && cmd.Words[0] == "pulumi" {
		var out []string
		for _, key := range c.pulumiKeys(cmd.Words[1:]) {
			if !c.Schema.Has(key) {
				out = append(out, fmt.Sprintf("%s: %s is not a stack key of Pulumi.yaml", cmd, key))
			}
		}
		return out
	}
	return nil
}

func (c *Checker) commandNames() []string {
	var names []string
	for n := range c.Commands {
		names = append(names, "./cmd/"+n)
	}
	sort.Strings(names)
	return names
}

// pulumiValueFlags are pulumi CLI flags that take a separate value (the config value flags
// are handled on their own).
var pulumiValueFlags = map[string]bool{"-s": true, "--stack": true, "-C": true, "--cwd": true, "--config-file": true}

// pulumiKeys returns the stack keys a pulumi command names: the key of `config set|get|rm`
// and every key=value of -c/--config (up, preview).
func (c *Checker) pulumiKeys(args []string) []string {
	var keys []string
	positional := []string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		switch {
		case name == "-c" || name == "--config":
			if !hasVal && i+1 < len(args) {
				i++
				val = args[i]
			}
			k, _, _ := strings.Cut(val, "=")
			keys = append(keys, k)
		case pulumiValueFlags[name]:
			if !hasVal {
				i++
			}
		case strings.HasPrefix(a, "-"):
		default:
			positional = append(positional, a)
		}
	}
	if len(positional) >= 3 && positional[0] == "config" && slices.Contains([]string{"set", "get", "rm"}, positional[1]) {
		k := positional[2]
		// --path: "subnetIds[0]" or "ns:key.field" names the key before the path.
		if i := strings.IndexAny(k, ".["); i > 0 {
			k = k[:i]
		}
		keys = append(keys, k)
	}
	return keys
}

// CheckArgs checks the arguments of command cmd (for messages: "cmd/plan") the way Go's flag
// package parses them: flags (one or two dashes, "=value" or the next word for a flag that
// takes a value) up to the first non-flag word. It returns one problem per unknown flag,
// missing value or positional argument (the project's commands take only flags; a boolean
// flag takes a value only as --flag=false). An unknown flag is taken to have a value when the
// next word is not a flag, so one mistake is reported once.
func (fs FlagSet) CheckArgs(cmd string, args []string) []string {
	var probs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				probs = append(probs, fmt.Sprintf("argument %q after --: %s takes only flags", args[i+1], cmd))
			}
			break
		}
		if len(a) < 2 || a[0] != '-' {
			probs = append(probs, fmt.Sprintf("argument %q: %s takes only flags (a boolean flag takes its value as --flag=false)", a, cmd))
			break
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		name, _, hasValue := strings.Cut(name, "=")
		f, ok := fs[name]
		switch {
		case !ok && (name == "h" || name == "help"):
		case !ok:
			probs = append(probs, fmt.Sprintf("--%s is not a flag of %s", name, cmd))
			if !hasValue && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
			}
		case f.TakesValue && !hasValue:
			if i+1 >= len(args) {
				probs = append(probs, fmt.Sprintf("--%s of %s needs a value", name, cmd))
			}
			i++
		}
	}
	return probs
}

type tableProblem struct {
	line int
	msg  string
}

var (
	flagsMarkerRE = regexp.MustCompile(`^flags of (?:\./)?cmd/([A-Za-z0-9_-]+)$`)
	tableFlagRE   = regexp.MustCompile(`(?:^|[\s` + "`" + `/(,])--([a-z][a-z0-9-]*)`)
)

// checkTable checks a marked reference table against the code.
func (c *Checker) checkTable(t Table) []tableProblem {
	if m := flagsMarkerRE.FindStringSubmatch(t.Marker); m != nil {
		return c.checkFlagTable(t, m[1])
	}
	if t.Marker == "stack keys" {
		return c.checkKeyTable(t)
	}
	return []tableProblem{{t.Line, fmt.Sprintf("unknown docs marker %q (known: \"flags of cmd/NAME\", \"stack keys\")", t.Marker)}}
}

func (c *Checker) checkFlagTable(t Table, name string) []tableProblem {
	fs, ok := c.Commands[name]
	if !ok {
		return []tableProblem{{t.Line, fmt.Sprintf("flags of cmd/%s: there is no such command", name)}}
	}
	var probs []tableProblem
	keyCol := t.Column("stack key")
	seen := map[string]int{}
	for _, r := range t.Rows {
		var flags []string
		for _, m := range tableFlagRE.FindAllStringSubmatch(r.Cells[0], -1) {
			flags = append(flags, m[1])
		}
		if len(flags) == 0 {
			probs = append(probs, tableProblem{r.Line, fmt.Sprintf("row %q names no --flag in its first column", r.Cells[0])})
			continue
		}
		var want []string
		for _, f := range flags {
			fl, ok := fs[f]
			if !ok {
				probs = append(probs, tableProblem{r.Line, fmt.Sprintf("--%s is not a flag of cmd/%s", f, name)})
				continue
			}
			if prev, dup := seen[f]; dup {
				probs = append(probs, tableProblem{r.Line, fmt.Sprintf("--%s is listed twice (also line %d)", f, prev)})
			}
			seen[f] = r.Line
			if fl.Key != "" {
				want = append(want, fl.Key)
			}
		}
		if keyCol < 0 || keyCol >= len(r.Cells) {
			continue
		}
		var got []string
		for _, m := range inlineCodeRE.FindAllStringSubmatch(r.Cells[keyCol], -1) {
			got = append(got, c.Schema.Full(m[1]))
		}
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(want, got) {
			probs = append(probs, tableProblem{r.Line, fmt.Sprintf("row %s: the stack key column names %v, the flags set %v (their -h says so)", r.Cells[0], got, want)})
		}
	}
	var missing []string
	for _, f := range fs.Names() {
		if _, ok := seen[f]; !ok {
			missing = append(missing, "--"+f)
		}
	}
	if len(missing) > 0 {
		probs = append(probs, tableProblem{t.Line, fmt.Sprintf("the flags table of cmd/%s does not list %s", name, strings.Join(missing, ", "))})
	}
	return probs
}

func (c *Checker) checkKeyTable(t Table) []tableProblem {
	var probs []tableProblem
	defCol := t.Column("default")
	seen := map[string]int{}
	for _, r := range t.Rows {
		m := inlineCodeRE.FindStringSubmatch(r.Cells[0])
		if m == nil {
			probs = append(probs, tableProblem{r.Line, fmt.Sprintf("row %q names no `key` in its first column", r.Cells[0])})
			continue
		}
		key := c.Schema.Full(m[1])
		def, ok := c.Schema.Defaults[key]
		if !ok {
			probs = append(probs, tableProblem{r.Line, fmt.Sprintf("%s is not a stack key of Pulumi.yaml", key)})
			continue
		}
		if prev, dup := seen[key]; dup {
			probs = append(probs, tableProblem{r.Line, fmt.Sprintf("%s is listed twice (also line %d)", key, prev)})
		}
		seen[key] = r.Line
		if defCol < 0 || defCol >= len(r.Cells) {
			continue
		}
		got := inlineCodeRE.FindStringSubmatch(r.Cells[defCol])
		if got == nil || got[1] != def {
			probs = append(probs, tableProblem{r.Line, fmt.Sprintf("%s: the default column says %q, Pulumi.yaml's default is `%s`", key, r.Cells[defCol], def)})
		}
	}
	var missing []string
	for _, k := range c.Schema.Keys() {
		if _, ok := seen[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		probs = append(probs, tableProblem{t.Line, fmt.Sprintf("the stack keys table does not list %s", strings.Join(missing, ", "))})
	}
	return probs
}

var linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// checkLinks checks d's relative links: the file exists, an #anchor is one of its headings.
func (c *Checker) checkLinks(d *Doc) []error {
	var errs []error
	for _, ln := range d.Prose {
		for _, m := range linkRE.FindAllStringSubmatch(stripInlineCode(ln.Text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			file := d.Name
			if path != "" {
				file = filepath.Join(filepath.Dir(d.Name), path)
			}
			src, err := os.ReadFile(filepath.Join(c.Root, file))
			if err != nil {
				if info, serr := os.Stat(filepath.Join(c.Root, file)); serr == nil && info.IsDir() && anchor == "" {
					continue
				}
				errs = append(errs, fmt.Errorf("%s:%d: link %s: %s does not exist", d.Name, ln.N, target, file))
				continue
			}
			if anchor == "" {
				continue
			}
			td, err := Parse(file, src)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: link %s: %w", d.Name, ln.N, target, err))
				continue
			}
			if anchors := td.Anchors(); !slices.Contains(anchors, anchor) {
				errs = append(errs, fmt.Errorf("%s:%d: link %s: %s has no heading with anchor #%s (anchors: %s)",
					d.Name, ln.N, target, file, anchor, strings.Join(anchors, ", ")))
			}
		}
	}
	return errs
}

func stripInlineCode(s string) string { return inlineCodeRE.ReplaceAllString(s, "``") }

// Anchors returns the anchors GitHub gives d's headings: lower case, spaces as hyphens,
// punctuation other than - and _ dropped, "-1", "-2" after repeats.
func (d *Doc) Anchors() []string {
	var out []string
	seen := map[string]int{}
	for _, ln := range d.Prose {
		if !strings.HasPrefix(ln.Text, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(ln.Text, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			out = append(out, fmt.Sprintf("%s-%d", a, n))
		} else {
			out = append(out, a)
		}
		seen[a]++
	}
	return out
}
