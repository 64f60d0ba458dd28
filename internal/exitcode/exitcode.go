// Package exitcode is the one exit-status convention of every lambdabridge command (plan,
// local, redrive), so CI and scheduled jobs can tell the outcomes apart:
//
//	0  success (and -h/--help)
//	1  the work failed (network, I/O, a run that did not reach the database, AWS errors)
//	2  bad input: a flag, a stack key, a stack file, a sample file
//	3  a gate failed: the plan exceeds --max-monthly, or the deployed topology drifted
//
// Commands return an error; Of maps it to the status, and the command prints the error once.
package exitcode

import (
	"errors"
	"flag"
)

// The exit statuses.
const (
	OK      = 0
	Failure = 1
	Usage   = 2
	Gate    = 3
)

// UsageError marks bad input (status 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the bad input's error.
func (e *UsageError) Unwrap() error { return e.Err }

// GateError marks a gate that failed (status 3): the work itself succeeded and its output
// was printed, but a threshold the caller set was crossed.
type GateError struct{ Err error }

func (e *GateError) Error() string { return e.Err.Error() }

// Unwrap returns the gate's error.
func (e *GateError) Unwrap() error { return e.Err }

// Of is the exit status for err: OK for nil and flag.ErrHelp, Usage for a *UsageError,
// Gate for a *GateError, Failure otherwise.
func Of(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return OK
	case errors.As(err, new(*GateError)):
		return Gate
	case errors.As(err, new(*UsageError)):
		return Usage
	}
	return Failure
}
