package docstest

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Elision is an expected-output line that stands for any number of output lines.
const Elision = "..."

// normalisers rewrite what differs from run to run; each applies to the expected output and
// the actual output alike, so a doc may show any value there.
var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	// RFC 3339 times: 2026-11-25T10:45:00Z, 2026-11-25T10:45:51.523232535+09:00.
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})`), "<TIME>"},
	// Compact times in object keys: 20261125T104551.523232535Z.
	{regexp.MustCompile(`\b\d{8}T\d{6}(?:\.\d+)?Z`), "<TIME>"},
	// Loopback ports: 127.0.0.1:35319, localhost:8080, [::1]:9000.
	{regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):\d+`), "$1:<PORT>"},
	// Go durations: 400ms, 1.9s, 1h0m0s, 12µs.
	{regexp.MustCompile(`\b(?:\d+(?:\.\d+)?(?:ns|µs|us|ms|h|m|s))+\b`), "<DURATION>"},
}

// tempRE matches a path under the system's temporary directory (and /tmp).
var tempRE = regexp.MustCompile(`(?:/tmp|` + regexp.QuoteMeta(strings.TrimSuffix(os.TempDir(), "/")) + `)/[^\s'"),;]+`)

// Normalise returns s with what changes between runs replaced by placeholders: RFC 3339
// times (<TIME>), loopback ports (127.0.0.1:<PORT>), Go durations (<DURATION>) and paths
// under the temporary directory (<TMP>). Line endings become \n, trailing spaces and
// trailing blank lines are dropped.
func Normalise(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = tempRE.ReplaceAllString(s, "<TMP>")
	for _, n := range normalisers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	lines := strings.Split(s, "\n")
	for i, ln := range lines {
		lines[i] = strings.TrimRight(ln, " \t")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// Rewrite is one more normalisation for a command whose output holds what no doc can pin
// (cmd/local: invoke ids, byte counts that move with the digits of a time, Lambda-clock
// offsets): With replaces every match of Re, on both sides, before the common normalisers;
// an empty With on a whole-line pattern drops the line (a heartbeat line).
type Rewrite struct {
	Re   *regexp.Regexp
	With string
}

// MatchOutput compares a command's output with the output a doc shows, both normalised.
// A line "..." in want matches any number of lines (an excerpt). The error shows both.
func MatchOutput(want, got string) error { return MatchOutputWith(want, got, nil) }

// MatchOutputWith is MatchOutput with the command's own rewrites applied first.
func MatchOutputWith(want, got string, rewrites []Rewrite) error {
	for _, r := range rewrites {
		want, got = r.Re.ReplaceAllString(want, r.With), r.Re.ReplaceAllString(got, r.With)
	}
	w := strings.Split(Normalise(want), "\n")
	g := strings.Split(Normalise(got), "\n")
	if matchLines(w, g) {
		return nil
	}
	return fmt.Errorf("output drifted from the doc (after normalising; %q in the doc matches any lines)\n%s\n--- the doc shows:\n%s\n--- the command printed:\n%s",
		Elision, firstDifference(w, g), strings.Join(w, "\n"), strings.Join(g, "\n"))
}

// matchLines matches want against got, each Elision line standing for zero or more lines.
func matchLines(want, got []string) bool {
	for len(want) > 0 && want[0] != Elision {
		if len(got) == 0 || got[0] != want[0] {
			return false
		}
		want, got = want[1:], got[1:]
	}
	if len(want) == 0 {
		return len(got) == 0
	}
	for skip := 0; skip <= len(got); skip++ {
		if matchLines(want[1:], got[skip:]) {
			return true
		}
	}
	return false
}

// firstDifference names the first expected line (outside elisions) that the output lacks.
func firstDifference(want, got []string) string {
	at := 0
	for i, w := range want {
		if w == Elision {
			continue
		}
		j := at
		for j < len(got) && got[j] != w {
			if i == 0 || want[i-1] != Elision {
				break
			}
			j++
		}
		if j >= len(got) || got[j] != w {
			if at < len(got) {
				return fmt.Sprintf("first difference: doc line %d %q, output line %d %q", i+1, w, at+1, got[at])
			}
			return fmt.Sprintf("first difference: doc line %d %q, but the output ended after %d lines", i+1, w, len(got))
		}
		at = j + 1
	}
	return fmt.Sprintf("the output goes on after the doc's last line: output line %d %q", at+1, got[min(at, len(got)-1)])
}
