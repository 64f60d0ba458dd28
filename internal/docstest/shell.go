package docstest

import (
	"fmt"
	"regexp"
	"strings"
)

// Command is one simple command of a shell text, its words after quote removal.
type Command struct {
	// Line is the 1-based line (in the markdown file) where the command starts.
	Line int
	// Words are the command's words: quotes removed, leading VAR=value assignments and
	// redirections dropped. A command substitution stays in its word as "$(...)"; its own
	// command is returned as a Command of its own.
	Words []string
	// Expands is true when the command needs a shell to expand something: a variable, a
	// command substitution, a redirection, or a pipe, && or ; joining it to another command.
	Expands bool
}

// String is the command as one line, for messages.
func (c Command) String() string { return strings.Join(c.Words, " ") }

var assignRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// Commands splits a shell text (a command block's body) into simple commands. Comments,
// quotes, backslash-newline continuations, &&, ||, ;, | and command substitutions are
// understood as a POSIX shell would; what cannot be split (an unclosed quote) is an error.
// firstLine is the file line of text's first line.
func Commands(text string, firstLine int) ([]Command, error) {
	s := &splitter{src: text, line: firstLine}
	if err := s.run(); err != nil {
		return nil, fmt.Errorf("line %d: %w", s.line, err)
	}
	return s.out, nil
}

// PromptCommands returns the commands of the "$ "-prompted lines of a transcript (a text
// block), each with its backslash continuations.
func PromptCommands(text string, firstLine int) ([]Command, error) {
	lines := strings.Split(text, "\n")
	var out []Command
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "$ ") {
			continue
		}
		start := i
		src := strings.TrimPrefix(lines[i], "$ ")
		for strings.HasSuffix(src, `\`) && i+1 < len(lines) {
			i++
			src += "\n" + lines[i]
		}
		cmds, err := Commands(src, firstLine+start)
		if err != nil {
			return nil, err
		}
		out = append(out, cmds...)
	}
	return out, nil
}

// splitter is the state of Commands.
type splitter struct {
	src  string
	pos  int
	line int

	out     []Command
	cur     Command
	word    strings.Builder
	inWord  bool
	redirTo bool // the next word is a redirection target, dropped
}

func (s *splitter) run() error {
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '\n':
			s.endCommand(false)
			s.line++
			s.pos++
		case c == ' ' || c == '\t':
			s.endWord()
			s.pos++
		case c == '#' && !s.inWord:
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
		case c == '\\':
			if s.pos+1 < len(s.src) && s.src[s.pos+1] == '\n' {
				s.pos += 2
				s.line++
				continue
			}
			if s.pos+1 < len(s.src) {
				s.add(s.src[s.pos+1 : s.pos+2])
			}
			s.pos += 2
		case c == '\'':
			end := strings.IndexByte(s.src[s.pos+1:], '\'')
			if end < 0 {
				return fmt.Errorf("unclosed single quote")
			}
			lit := s.src[s.pos+1 : s.pos+1+end]
			s.line += strings.Count(lit, "\n")
			s.add(lit)
			s.inWord = true
			s.pos += end + 2
		case c == '"':
			if err := s.doubleQuoted(); err != nil {
				return err
			}
		case c == '$':
			if err := s.dollar(); err != nil {
				return err
			}
		case c == '`':
			return fmt.Errorf("backquote command substitution: write $(...)")
		case c == ';' || c == '|' || c == '&':
			s.endCommand(true)
			for s.pos < len(s.src) && strings.IndexByte(";|&", s.src[s.pos]) >= 0 {
				s.pos++
			}
		case c == '>' || c == '<':
			// "2>&1", "> file", ">> file": drop the operator and its target.
			if s.inWord && isDigits(s.word.String()) {
				s.word.Reset()
				s.inWord = false
			}
			s.endWord()
			s.cur.Expands = true
			for s.pos < len(s.src) && strings.IndexByte("<>", s.src[s.pos]) >= 0 {
				s.pos++
			}
			if s.pos < len(s.src) && s.src[s.pos] == '&' {
				for s.pos++; s.pos < len(s.src) && isDigits(s.src[s.pos:s.pos+1]); s.pos++ {
				}
				continue
			}
			s.redirTo = true
		default:
			s.add(s.src[s.pos : s.pos+1])
			s.pos++
		}
	}
	s.endCommand(false)
	return nil
}

func isDigits(w string) bool { return w != "" && strings.Trim(w, "0123456789") == "" }

func (s *splitter) add(t string) {
	s.word.WriteString(t)
	s.inWord = true
}

func (s *splitter) endWord() {
	if !s.inWord {
		return
	}
	w := s.word.String()
	s.word.Reset()
	s.inWord = false
	if s.redirTo {
		s.redirTo = false
		return
	}
	if len(s.cur.Words) == 0 && assignRE.MatchString(w) {
		s.cur.Expands = s.cur.Expands || strings.Contains(w, "$")
		return
	}
	if len(s.cur.Words) == 0 {
		s.cur.Line = s.line
	}
	s.cur.Words = append(s.cur.Words, w)
}

// endCommand closes the current command; joined says an operator (|, &&, ;) joins it to
// the next one.
func (s *splitter) endCommand(joined bool) {
	s.endWord()
	if len(s.cur.Words) > 0 {
		s.cur.Expands = s.cur.Expands || joined
		s.out = append(s.out, s.cur)
	} else if joined && len(s.out) > 0 {
		s.out[len(s.out)-1].Expands = true
	}
	s.cur = Command{Expands: joined && len(s.out) > 0}
}

func (s *splitter) doubleQuoted() error {
	s.inWord = true
	for s.pos++; s.pos < len(s.src); {
		c := s.src[s.pos]
		switch {
		case c == '"':
			s.pos++
			return nil
		case c == '\\' && s.pos+1 < len(s.src) && strings.IndexByte("\"\\$`\n", s.src[s.pos+1]) >= 0:
			if s.src[s.pos+1] != '\n' {
				s.add(s.src[s.pos+1 : s.pos+2])
			} else {
				s.line++
			}
			s.pos += 2
		case c == '$':
			if err := s.dollar(); err != nil {
				return err
			}
		default:
			if c == '\n' {
				s.line++
			}
			s.add(s.src[s.pos : s.pos+1])
			s.pos++
		}
	}
	return fmt.Errorf("unclosed double quote")
}

// dollar reads $VAR, ${VAR} or $(command) at s.pos; a substitution's command is split on its
// own and added to the output.
func (s *splitter) dollar() error {
	s.cur.Expands = true
	rest := s.src[s.pos:]
	switch {
	case strings.HasPrefix(rest, "$("):
		depth, end := 0, -1
		for i := 1; i < len(rest) && end < 0; i++ {
			switch rest[i] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					end = i
				}
			}
		}
		if end < 0 {
			return fmt.Errorf("unclosed $(")
		}
		inner, err := Commands(rest[2:end], s.line)
		if err != nil {
			return fmt.Errorf("in $(...): %w", err)
		}
		s.out = append(s.out, inner...)
		s.add(rest[:end+1])
		s.line += strings.Count(rest[:end], "\n")
		s.pos += end + 1
	case strings.HasPrefix(rest, "${"):
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return fmt.Errorf("unclosed ${")
		}
		s.add(rest[:end+1])
		s.pos += end + 1
	default:
		n := 1
		for n < len(rest) && (rest[n] == '_' || isAlnum(rest[n])) {
			n++
		}
		s.add(rest[:n])
		s.pos += n
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
