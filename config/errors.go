package config

import (
	"errors"

	"github.com/lambdabridge/lambdabridge/planner"
)

// KeyError is a bad value of one stack key: config's own finding (type, syntax, a
// combination of keys) or the planner's verdict on the value the key set ([Config.Plan]).
// Its message names the key, e.g. `config lambdabridge:memoryMB: 64 MB is out of range
// (128-10240 MB)`; [KeyError.Describe] names it the caller's way instead (cmd/plan: the
// flag that set it).
type KeyError struct {
	// Key is the full key, e.g. "lambdabridge:memoryMB" or "aws:region".
	Key string
	// Problem says what is wrong and what is accepted, without naming the key.
	Problem string
	// Related is another key the value was checked against (lambdabridge:payloadSize, for
	// a compressed size larger than gzip can make of the payload), or "".
	Related string
	// Err is the planner's error when the planner refused the value (it wraps a
	// *planner.InputError and planner.ErrBadInput), or the price book's when the key is
	// lambdabridge:pricesFile; nil for config's own findings.
	Err error
}

func (e *KeyError) Error() string {
	return e.Describe(func(key string) string { return "config " + key })
}

// Unwrap returns Err.
func (e *KeyError) Unwrap() error { return e.Err }

// Describe renders the error with name(key) for the key and for Related:
// "<name(Key)>: <Problem>[; see also <name(Related)>]".
func (e *KeyError) Describe(name func(key string) string) string {
	s := name(e.Key) + ": " + e.Problem
	if e.Related != "" {
		s += "; see also " + name(e.Related)
	}
	return s
}

// FieldKey returns the stack key that sets the planner Input field f, and false for a
// field no key sets (planner.FieldGuardrails).
func FieldKey(f planner.Field) (string, bool) {
	for _, k := range keys {
		if k.input != "" && k.input == f {
			return k.name, true
		}
	}
	return "", false
}

// keyed reports a planning error about an Input field as a *KeyError on the key that
// sets the field (keeping err as its Err); other errors are returned unchanged.
func keyed(err error) error {
	var ie *planner.InputError
	if !errors.As(err, &ie) {
		return err
	}
	key, ok := FieldKey(ie.Field)
	if !ok {
		return err
	}
	related, _ := FieldKey(ie.Related)
	return &KeyError{Key: key, Problem: ie.Problem, Related: related, Err: err}
}
