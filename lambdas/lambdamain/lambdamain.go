// Package lambdamain is the cold-start boilerplate shared by the handler bootstraps that keep a
// database connection (lambdas/writer, lambdas/relay): build the handler once from the
// environment, warm it, and hand it to the Lambda runtime.
package lambdamain

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// WarmTimeout bounds the cold-start warm-up (connect and migrate) so a database that is down
// does not eat the init phase; the first invocation retries.
const WarmTimeout = 10 * time.Second

// Handler is what a bootstrap's build function returns: the invocation handler, a best-effort
// cold-start warm-up (may be nil), the release of its resources (may be nil) and the
// deploy's database setup (may be nil: ok false lets Handle have the payload).
type Handler[Out any] struct {
	Handle func(context.Context, json.RawMessage) (Out, error)
	Warm   func(context.Context)
	Close  func()
	Setup  func(context.Context, json.RawMessage) (result any, ok bool, err error)
}

// Dispatch is the function the runtime invokes: the setup's when it takes the payload,
// Handle's otherwise.
func (h Handler[Out]) Dispatch(ctx context.Context, raw json.RawMessage) (any, error) {
	if h.Setup != nil {
		if res, ok, err := h.Setup(ctx, raw); ok {
			return res, err
		}
	}
	return h.Handle(ctx, raw)
}

// Start builds the handler with build, warms it within WarmTimeout and starts the Lambda
// runtime loop. A build error is logged as "<name> not configured" and returned by every
// invocation, so it shows in the invocation's error (and its destination), not only in an
// init crash loop.
func Start[Out any](name string, build func(ctx context.Context) (Handler[Out], error)) {
	ctx := context.Background()
	h, err := build(ctx)
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error(name+" not configured", "error", err.Error())
		lambda.Start(func(context.Context, json.RawMessage) (Out, error) {
			var zero Out
			return zero, err
		})
		return
	}
	if h.Close != nil {
		defer h.Close()
	}
	if h.Warm != nil {
		warmCtx, cancel := context.WithTimeout(ctx, WarmTimeout)
		h.Warm(warmCtx)
		cancel()
	}
	lambda.Start(h.Dispatch)
}
