// Package envvar reads and renders the handlers' environment variables, so that each handler's
// settings (fetcher.Settings, writer.Settings, relay.Settings, store.Config) parse and render
// their variables the same way.
//
// A Reader parses variables through a getenv function and collects one error per bad
// variable, each naming the variable and the form it accepts. Vars renders values in the
// form a Reader accepts: a value rendered by Vars parses back to the same value.
package envvar

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Reader parses environment variables read through a getenv function (os.Getenv in a
// Lambda function), collecting one error per bad variable.
type Reader struct {
	getenv func(string) string
	errs   []error
}

// NewReader returns a Reader of getenv.
func NewReader(getenv func(string) string) *Reader { return &Reader{getenv: getenv} }

// Raw returns the variable's value as set.
func (r *Reader) Raw(name string) string { return r.getenv(name) }

// String returns the variable's value without surrounding white space.
func (r *Reader) String(name string) string { return strings.TrimSpace(r.getenv(name)) }

// Bool reads true|false (also 1|0, yes|no, any case); unset or empty is false.
func (r *Reader) Bool(name string) bool {
	v := r.String(name)
	switch strings.ToLower(v) {
	case "", "false", "0", "no":
		return false
	case "true", "1", "yes":
		return true
	}
	r.Fail(fmt.Errorf("%s=%q: want true or false", name, v))
	return false
}

// Bytes reads a whole number of bytes ≥ 0; set reports whether the variable was given
// (false when unset, empty or bad).
func (r *Reader) Bytes(name string) (n int64, set bool) {
	return r.count(name, 0, "a whole number of bytes ≥ 0")
}

// PositiveBytes reads a whole number of bytes > 0, like Bytes.
func (r *Reader) PositiveBytes(name string) (n int64, set bool) {
	return r.count(name, 1, "a positive whole number of bytes")
}

func (r *Reader) count(name string, least int64, form string) (int64, bool) {
	v := r.String(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < least {
		r.Fail(fmt.Errorf("%s=%q: want %s", name, v, form))
		return 0, false
	}
	return n, true
}

// Duration reads a positive Go duration such as 5s or 1m30s; unset or empty is 0.
func (r *Reader) Duration(name string) time.Duration {
	v := r.String(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.Fail(fmt.Errorf("%s=%q: want a positive Go duration such as 5s or 1m30s", name, v))
		return 0
	}
	return d
}

// Port reads a TCP port number, 1 to 65535; unset or empty is 0.
func (r *Reader) Port(name string) int {
	v := r.String(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		r.Fail(fmt.Errorf("%s=%q: want a port number, 1 to 65535", name, v))
		return 0
	}
	return n
}

// Fail records an error found by the caller (a missing variable, two that conflict).
func (r *Reader) Fail(err error) { r.errs = append(r.errs, err) }

// Err returns every recorded error joined under what ("fetcher settings"), or nil.
func (r *Reader) Err(what string) error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", what, errors.Join(r.errs...))
}

// Vars is a rendered environment: variable name to value.
type Vars map[string]string

// String sets name to v when v is not empty.
func (e Vars) String(name, v string) {
	if v != "" {
		e[name] = v
	}
}

// Bool sets name to "true" when b is true.
func (e Vars) Bool(name string, b bool) {
	if b {
		e[name] = "true"
	}
}

// Int sets name to n in decimal.
func (e Vars) Int(name string, n int64) { e[name] = strconv.FormatInt(n, 10) }

// Duration sets name to d as Go writes it (1m30s) when d is positive.
func (e Vars) Duration(name string, d time.Duration) {
	if d > 0 {
		e[name] = d.String()
	}
}

// Add copies every variable of m into e (m's value wins).
func (e Vars) Add(m map[string]string) {
	for k, v := range m {
		e[k] = v
	}
}

// LibpqPrefix begins the names of libpq's environment variables (PGHOST, PGPASSWORD,
// PGOPTIONS, ...). pgx reads them from the process environment on its own, whatever a
// handler's getenv says.
const LibpqPrefix = "PG"

// ProcessLibpq returns, sorted, the libpq variables set to a non-empty value in the process
// environment (pgx ignores empty ones).
func ProcessLibpq() []string { return processLibpq(false) }

// UnsetLibpq removes every libpq variable from the process environment and returns the names
// it removed. cmd/local and the tests call it before anything connects, so that variables
// inherited from a shell (a PGHOST, a PGOPTIONS) cannot redirect a local run: where to
// connect comes from DATABASE_URL and the handlers' settings alone.
func UnsetLibpq() ([]string, error) {
	names := processLibpq(true)
	for _, name := range names {
		if err := os.Unsetenv(name); err != nil {
			return nil, fmt.Errorf("unset %s: %w", name, err)
		}
	}
	return names, nil
}

func processLibpq(empty bool) []string {
	var names []string
	for _, kv := range os.Environ() {
		name, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, LibpqPrefix) && (v != "" || empty) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}
