package planner

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadInput marks errors caused by the caller's input (a flag or config key);
// the CLI exits 2 on them. Test with errors.Is. An error about one Input field is an
// *InputError, which wraps ErrBadInput.
var ErrBadInput = errors.New("bad input")

// Field names an Input field that can be wrong. An *InputError says which one, so a
// caller can name the field the way its user sets it (config: the stack key; cmd/plan: the
// flag). Its value is the planner's own name for the field, used in InputError.Error.
type Field string

// The Input fields an *InputError can be about (the boolean fields cannot be wrong on
// their own).
const (
	// FieldSchedule is Input.Schedule: its syntax, or a cron that never fires in the planned year.
	FieldSchedule Field = "schedule"
	// FieldPayloadBytes is Input.PayloadBytes.
	FieldPayloadBytes Field = "payload size"
	// FieldCompressedBytes is Input.CompressedBytes.
	FieldCompressedBytes Field = "compressed size"
	// FieldRegion is Input.Region: a region the price book does not price.
	FieldRegion Field = "region"
	// FieldFreeTier is Input.FreeTier.
	FieldFreeTier Field = "free tier"
	// FieldCreditsUSD is Input.CreditsUSD.
	FieldCreditsUSD Field = "credits"
	// FieldMemoryMB is Input.MemoryMB.
	FieldMemoryMB Field = "memory"
	// FieldArchitecture is Input.Architecture.
	FieldArchitecture Field = "architecture"
	// FieldFetchMillis is Input.FetchMillis.
	FieldFetchMillis Field = "fetch duration"
	// FieldWriteMillis is Input.WriteMillis.
	FieldWriteMillis Field = "write duration"
	// FieldTopology is Input.Topology: an unknown name, or (as a *TopologyError) a
	// topology the planner finds invalid for the workload.
	FieldTopology Field = "topology"
	// FieldGuardrails is Input.Guardrails.
	FieldGuardrails Field = "guardrails"
	// FieldAsOf is Input.AsOf: a day the price book has no prices for.
	FieldAsOf Field = "as-of"
	// FieldRunsPerMonth is Input.RunsPerMonth (measured, set by cmd/plan --from-metrics).
	FieldRunsPerMonth Field = "runs per month"
)

// Fields lists every Field, in Input's order.
var Fields = []Field{
	FieldSchedule, FieldPayloadBytes, FieldCompressedBytes, FieldRegion, FieldFreeTier,
	FieldCreditsUSD, FieldMemoryMB, FieldArchitecture, FieldFetchMillis, FieldWriteMillis,
	FieldAsOf, FieldGuardrails, FieldTopology, FieldRunsPerMonth,
}

// Lambda's bounds on the function settings the planner prices.
const (
	// MinMemoryMB and MaxMemoryMB bound Lambda's memory setting.
	// https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
	MinMemoryMB, MaxMemoryMB = 128, 10240
	// MaxBilledMillis is Lambda's 15-minute timeout: no invocation is billed for longer.
	// https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
	MaxBilledMillis = 900000
)

// InputError is a bad value of one Input field. It wraps ErrBadInput (and Err, when set).
type InputError struct {
	// Field is the Input field that is wrong.
	Field Field
	// Value is the offending value as the planner saw it (for callers that want it apart
	// from the message); Problem already quotes it where it helps.
	Value string
	// Problem says what is wrong and what is accepted, without naming the field, e.g.
	// `64 MB is out of range (128-10240 MB)`. A caller prefixes its own name for the field.
	Problem string
	// Related is another field the value was checked against (the payload size, for a
	// compressed size larger than gzip can make of it), or "".
	Related Field
	// Err is an underlying cause callers may test for (ErrNeverFires), or nil.
	Err error
}

// Error is the field's planner name and the problem, e.g. `memory: 64 MB is out of range
// (128-10240 MB)`.
func (e *InputError) Error() string { return string(e.Field) + ": " + e.Problem }

// Unwrap makes errors.Is(err, ErrBadInput) hold, and errors.Is(err, e.Err).
func (e *InputError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrBadInput, e.Err}
	}
	return []error{ErrBadInput}
}

// inputErrorf builds an *InputError on f with value v and a formatted problem.
func inputErrorf(f Field, v any, format string, a ...any) *InputError {
	return &InputError{Field: f, Value: fmt.Sprint(v), Problem: fmt.Sprintf(format, a...)}
}

// TopologyError is Plan's error when Input.Topology names a topology the planner finds
// invalid for the workload. It is the FieldTopology verdict: it unwraps to an *InputError
// on FieldTopology (which wraps ErrBadInput), so errors.As finds either.
type TopologyError struct {
	// Topology is the topology requested.
	Topology Topology
	// Reasons are the planner's reasons for rejecting it (Estimate.Reasons).
	Reasons []string
}

func (e *TopologyError) Error() string { return e.input().Error() }

// Unwrap returns the *InputError on FieldTopology this error amounts to.
func (e *TopologyError) Unwrap() error { return e.input() }

func (e *TopologyError) input() *InputError {
	return inputErrorf(FieldTopology, e.Topology, "%s is not valid for this workload: %s", e.Topology, strings.Join(e.Reasons, "; "))
}
