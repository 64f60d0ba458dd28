package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// UpdateStackFile writes values (full keys such as "lambdabridge:payloadSize" to raw
// values such as "279KB") into the stack file at path in place: a key already in the file's
// `config:` block gets its new value on its own line, keeping its quoting style, its
// indentation and any comment after it; a missing key is added at the end of the block, with
// the block's indentation. Nothing else in the file changes: comments, blank lines, the order
// of keys and every other value stay byte for byte. It returns the change as "-"/"+" line
// pairs (empty when the file already held every value) and writes only when something
// changed, atomically (a temporary file renamed over the original, with its mode).
//
// It edits lines rather than re-encoding YAML, because a YAML encoder would rewrite the
// comments, quoting and layout a user chose. It refuses what it cannot edit safely: a key
// whose value is a block (a list or a map, or a `secure:` secret), or a file whose config
// block it cannot find as plain `key: value` lines.
func UpdateStackFile(path string, values map[string]string) (diff string, err error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("stack file: %w", err)
	}
	out, diff, err := updateStack(src, values)
	if err != nil {
		return "", fmt.Errorf("stack file %s: %w", path, err)
	}
	if diff == "" {
		return "", nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("stack file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".stack-*.yaml")
	if err != nil {
		return "", fmt.Errorf("stack file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return "", fmt.Errorf("stack file: %w", err)
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return "", fmt.Errorf("stack file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("stack file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("stack file: %w", err)
	}
	return diff, nil
}

var (
	// configLine is a top-level `config:` line (a trailing comment allowed).
	configLine = regexp.MustCompile(`^config:\s*(#.*)?$`)
	// keyLine is an indented `key: value  # comment` line of the config block.
	keyLine = regexp.MustCompile(`^(\s+)("[^"]+"|'[^']+'|[\w.-]+(?::[\w.-]+)?):(\s+|$)(.*)$`)
)

// updateStack is UpdateStackFile on the file's bytes.
func updateStack(src []byte, values map[string]string) ([]byte, string, error) {
	lines := strings.SplitAfter(string(src), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	start := -1
	for i, l := range lines {
		if configLine.MatchString(strings.TrimRight(l, "\r\n")) {
			start = i
			break
		}
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var diff strings.Builder
	done := map[string]bool{}
	indent, end, sawKey := "  ", len(lines), false
	if start >= 0 {
		end = start + 1
		for i := start + 1; i < len(lines); i++ {
			l := strings.TrimRight(lines[i], "\r\n")
			if strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
				continue // blank lines and comments belong to whatever follows
			}
			if !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "\t") {
				break // the next top-level key
			}
			end = i + 1
			m := keyLine.FindStringSubmatch(l)
			if m == nil {
				continue // a nested line (a list item, a map's member) of some other key
			}
			if !sawKey {
				indent, sawKey = m[1], true // the block's own indentation
			}
			key := strings.Trim(m[2], `"'`)
			if _, want := values[key]; !want || len(m[1]) != len(indent) {
				continue
			}
			value, comment := splitComment(m[4])
			if value == "" || value == "|" || value == ">" || strings.HasPrefix(value, "secure:") {
				return nil, "", fmt.Errorf("line %d: %s holds a block or a secret, which this writer does not edit", i+1, key)
			}
			newLine := m[1] + m[2] + ":" + m[3] + quoteLike(value, values[key]) + comment
			eol := lines[i][len(l):]
			if newLine != l {
				fmt.Fprintf(&diff, "-%s\n+%s\n", l, newLine)
				lines[i] = newLine + eol
			}
			done[key] = true
		}
	}
	var add []string
	for _, k := range keys {
		if !done[k] {
			add = append(add, indent+k+": "+quoteLike("", values[k])+"\n")
			fmt.Fprintf(&diff, "+%s%s: %s\n", indent, k, quoteLike("", values[k]))
		}
	}
	if len(add) > 0 {
		if start < 0 {
			if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
				lines[n-1] += "\n"
			}
			lines = append(lines, "config:\n")
			diff.Reset()
			diff.WriteString("+config:\n")
			for _, a := range add {
				diff.WriteString("+" + a)
			}
			end = len(lines)
		} else if end > 0 && !strings.HasSuffix(lines[end-1], "\n") {
			lines[end-1] += "\n"
		}
		lines = append(lines[:end], append(add, lines[end:]...)...)
	}
	return []byte(strings.Join(lines, "")), diff.String(), nil
}

// splitComment splits a YAML scalar from a trailing " # comment" (kept with its spacing).
func splitComment(s string) (value, comment string) {
	inQuote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote != 0:
			if c == inQuote {
				inQuote = 0
			}
		case c == '"' || c == '\'':
			inQuote = c
		case c == '#' && i > 0 && (s[i-1] == ' ' || s[i-1] == '\t'):
			j := i
			for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
				j--
			}
			return s[:j], s[j:]
		}
	}
	return strings.TrimRight(s, " \t"), ""
}

// plainSafe is a value YAML reads back as the same string without quotes.
var plainSafe = regexp.MustCompile(`^[A-Za-z0-9._/()-][A-Za-z0-9._/() -]*$`)

// quoteLike renders v with old's quoting style: double or single quotes as old had them,
// plain when old was plain (or absent) and v reads back as itself unquoted, else double.
func quoteLike(old, v string) string {
	switch {
	case strings.HasPrefix(old, `"`):
		return doubleQuote(v)
	case strings.HasPrefix(old, "'"):
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case plainSafe.MatchString(v) && !strings.HasSuffix(v, " "):
		return v
	}
	return doubleQuote(v)
}

func doubleQuote(v string) string {
	var b bytes.Buffer
	b.WriteByte('"')
	for _, r := range v {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
