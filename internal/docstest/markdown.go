// Package docstest holds lambdabridge's documentation to the code. It reads markdown files
// (README.md, docs/*.md), finds their fenced command blocks, runs the ones marked local and
// compares what they print with the output block that follows them, and parses the rest:
// every flag a block passes to one of the project's commands (go run ./cmd/plan, cmd/local,
// cmd/redrive) must be in that command's flag set, and every stack key a doc names
// (lambdabridge:xyz, pulumi config set xyz) must be in Pulumi.yaml's config schema.
//
// The conventions a doc follows are written down for authors in docs/README.md:
//
//   - A fenced block whose info string is "sh local" is run by the docs test. It holds one
//     command, `go run ./cmd/NAME` with plain arguments; the fenced block right after it
//     (only blank lines between) is its expected output, stdout and stderr together. An
//     "exit=N" word ("sh local exit=2") expects exit status N instead of 0.
//   - Any other "sh" block, and every "$ "-prompted line of a "text" block, is only parsed.
//   - In an expected output, a line "..." stands for any number of lines; ports, times,
//     durations and temp paths are normalised on both sides (Normalise).
//   - A "<!-- docs: flags of cmd/NAME -->" comment before a table says the table lists every
//     flag of that command (first column), with each flag's stack key in a column headed
//     "stack key"; "<!-- docs: stack keys -->" says the table lists every key of Pulumi.yaml
//     (first column) with its default in a column headed "default".
//   - Inline code starting with "go run ./cmd/" or "pulumi " is parsed like a block; every
//     "lambdabridge:name" anywhere must be a stack key; relative links must resolve.
package docstest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Block is one fenced code block of a markdown file.
type Block struct {
	// Line is the 1-based line of the opening fence.
	Line int
	// Lang is the first word of the info string ("sh", "text", "yaml"; empty when none).
	Lang string
	// Local is set by the info-string word "local": the docs test runs the block.
	Local bool
	// Exit is the exit status a local block expects ("exit=N"; 0 by default).
	Exit int
	// Body is the text between the fences, ending in a newline unless empty.
	Body string
	// Output is the block right after a local block: its expected output.
	Output *Block
}

// Table is a markdown table announced by a "<!-- docs: ... -->" marker.
type Table struct {
	// Line is the 1-based line of the marker.
	Line int
	// Marker is the marker's text after "docs:", e.g. "flags of cmd/plan".
	Marker string
	// Header holds the header row's cells; Rows the data rows' cells (separator row dropped).
	Header []string
	Rows   []Row
}

// Row is one data row of a Table.
type Row struct {
	// Line is the row's 1-based line.
	Line  int
	Cells []string
}

// Line is one line of a markdown file outside fenced blocks.
type Line struct {
	// N is the 1-based line number.
	N    int
	Text string
}

// Doc is a parsed markdown file.
type Doc struct {
	// Name names the file in messages.
	Name   string
	Blocks []*Block
	Tables []Table
	// Prose holds every line outside fenced blocks.
	Prose []Line
	// Lines holds every line of the file, fenced or not (Lines[i] is line i+1).
	Lines []string
}

var (
	fenceRE  = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})(.*)$")
	markerRE = regexp.MustCompile(`^<!--\s*docs:\s*(.*?)\s*-->\s*$`)
	exitRE   = regexp.MustCompile(`^exit=(\d+)$`)
)

// shellLangs are the info-string languages of command blocks.
var shellLangs = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true}

// Parse reads a markdown file: its fenced blocks (with the local ones' output blocks), its
// marked tables and its prose lines. A malformed convention is an error naming the line: an
// unclosed fence, an unknown word in a command block's info string, a local block without an
// output block right after it, a marker not followed by a table.
func Parse(name string, src []byte) (*Doc, error) {
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	d := &Doc{Name: name, Lines: lines}
	var pendingOutput *Block // a local block waiting for its output block
	for i := 0; i < len(lines); i++ {
		ln := lines[i]
		if m := fenceRE.FindStringSubmatch(ln); m != nil {
			b, end, err := parseFence(lines, i, m[1], m[2])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
			}
			d.Blocks = append(d.Blocks, b)
			if pendingOutput != nil {
				pendingOutput.Output = b
				pendingOutput = nil
			}
			if b.Local {
				pendingOutput = b
			}
			i = end
			continue
		}
		d.Prose = append(d.Prose, Line{N: i + 1, Text: ln})
		if strings.TrimSpace(ln) == "" {
			continue
		}
		if pendingOutput != nil {
			return nil, fmt.Errorf("%s:%d: the local block of line %d has no output block right after it (only blank lines may come between)",
				name, i+1, pendingOutput.Line)
		}
		if m := markerRE.FindStringSubmatch(ln); m != nil {
			t, end, err := parseTable(lines, i, m[1])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
			}
			d.Tables = append(d.Tables, t)
			for j := i + 1; j <= end; j++ {
				d.Prose = append(d.Prose, Line{N: j + 1, Text: lines[j]})
			}
			i = end
		}
	}
	if pendingOutput != nil {
		return nil, fmt.Errorf("%s:%d: the local block has no output block after it", name, pendingOutput.Line)
	}
	return d, nil
}

// parseFence reads the block whose opening fence is lines[start]; it returns the block and the
// index of its closing fence.
func parseFence(lines []string, start int, fence, info string) (*Block, int, error) {
	b := &Block{Line: start + 1}
	words := strings.Fields(info)
	if len(words) > 0 {
		b.Lang = words[0]
	}
	for _, w := range words[min(1, len(words)):] {
		switch m := exitRE.FindStringSubmatch(w); {
		case w == "local":
			b.Local = true
		case m != nil:
			n, err := strconv.Atoi(m[1])
			if err != nil || n > 255 {
				return nil, 0, fmt.Errorf("info string %q: %s is not an exit status (0-255)", info, w)
			}
			b.Exit = n
		case shellLangs[b.Lang]:
			return nil, 0, fmt.Errorf("info string %q: unknown word %q (a command block takes \"local\" and \"exit=N\")", info, w)
		}
	}
	if (b.Local || b.Exit != 0) && !shellLangs[b.Lang] {
		return nil, 0, fmt.Errorf("info string %q: only a command block (sh) can be local", info)
	}
	if b.Exit != 0 && !b.Local {
		return nil, 0, fmt.Errorf("info string %q: exit=N needs local (only a local block is run)", info)
	}
	var body strings.Builder
	for j := start + 1; j < len(lines); j++ {
		t := strings.TrimSpace(lines[j])
		if strings.HasPrefix(t, fence[:1]) && strings.Trim(t, fence[:1]) == "" && len(t) >= len(fence) {
			b.Body = body.String()
			return b, j, nil
		}
		body.WriteString(lines[j])
		body.WriteByte('\n')
	}
	return nil, 0, fmt.Errorf("fenced block %q is never closed", strings.TrimSpace(fence+info))
}

// parseTable reads the table that follows the marker at lines[at]; it returns the table and
// the index of its last line.
func parseTable(lines []string, at int, marker string) (Table, int, error) {
	t := Table{Line: at + 1, Marker: marker}
	i := at + 1
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	if i >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[i]), "|") {
		return t, 0, fmt.Errorf("marker %q is not followed by a table", marker)
	}
	end := i
	for j := i; j < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j]), "|"); j++ {
		cells := splitRow(lines[j])
		end = j
		switch {
		case j == i:
			t.Header = cells
		case j == i+1 && isSeparator(cells):
		default:
			t.Rows = append(t.Rows, Row{Line: j + 1, Cells: cells})
		}
	}
	return t, end, nil
}

// splitRow splits a table row into trimmed cells; "\|" is a literal bar inside a cell.
func splitRow(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	if strings.HasSuffix(row, "|") && !strings.HasSuffix(row, `\|`) {
		row = row[:len(row)-1]
	}
	var cells []string
	var cell strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			cell.WriteByte('|')
			i++
		case row[i] == '|':
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(row[i])
		}
	}
	return append(cells, strings.TrimSpace(cell.String()))
}

func isSeparator(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, ":-") != "" || c == "" {
			return false
		}
	}
	return true
}

// Column returns the index of the header cell equal to name (case-insensitive), or -1.
func (t Table) Column(name string) int {
	for i, h := range t.Header {
		if strings.EqualFold(strings.TrimSpace(h), name) {
			return i
		}
	}
	return -1
}
