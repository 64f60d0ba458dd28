package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
)

// Fault is what goes wrong with one invocation of a function.
type Fault int

// Faults the harness can inject around a function.
const (
	// NoFault runs the function normally.
	NoFault Fault = iota
	// CrashBefore: the runtime dies before the handler does anything (Runtime.ExitError).
	CrashBefore
	// CrashAfter: the handler does its work (the writer's row is committed, the fetcher's
	// object is PUT) but the runtime dies before the response is returned, so Lambda sees a
	// failure and retries.
	CrashAfter
	// Throttle: Lambda cannot run the function (429); the queue backs off and retries.
	Throttle
)

// String names the fault.
func (f Fault) String() string {
	switch f {
	case NoFault:
		return "none"
	case CrashBefore:
		return "crash-before"
	case CrashAfter:
		return "crash-after-handler"
	case Throttle:
		return "throttle"
	}
	return fmt.Sprintf("fault(%d)", int(f))
}

// FaultFunc decides the fault of one invocation of function fn (by name).
type FaultFunc func(fn, requestID string) Fault

// withFaults wraps a function so each invocation may suffer a fault, logged to log.
func withFaults(name string, inner lambdaasync.Function, faults FaultFunc, log io.Writer) lambdaasync.Function {
	if faults == nil {
		return inner
	}
	return lambdaasync.FunctionFunc(func(ctx context.Context, id string, p []byte) (lambdaasync.Response, error) {
		f := faults(name, id)
		if f != NoFault {
			fmt.Fprintf(log, "  %-8s fault injected: %s\n", name, f)
		}
		switch f {
		case CrashBefore:
			return lambdaasync.Response{Payload: crashPayload(name, "before the handler ran"), FunctionError: "Unhandled"}, nil
		case CrashAfter:
			resp, err := inner.Invoke(ctx, id, p)
			if err != nil {
				return resp, err
			}
			return lambdaasync.Response{Payload: crashPayload(name, "after the handler returned, response lost"), FunctionError: "Unhandled"}, nil
		case Throttle:
			return lambdaasync.Response{}, errors.New("injected fault: TooManyRequestsException (429), Lambda could not run " + name)
		}
		return inner.Invoke(ctx, id, p)
	})
}

func crashPayload(name, when string) []byte {
	return []byte(fmt.Sprintf(`{"errorMessage":"injected fault: %s runtime exited %s","errorType":"Runtime.ExitError"}`, name, when))
}
