// Command relay is the single VPC function of the nat-gateway, nat-instance and ipv6
// topologies: each scheduled invocation fetches the source (handlers/fetcher's HTTP half) and
// stores the body in PostgreSQL (handlers/store) in one go, writing the fetcher's EMF guardrail
// line. Its environment is the union of the fetcher's and the writer's.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambdabridge/lambdabridge/handlers/writer"
)

func main() {
	ctx := context.Background()
	r, closeStore, err := newFromEnv(ctx, os.Getenv, os.Stdout)
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("relay not configured", "error", err.Error())
		lambda.Start(func(context.Context, json.RawMessage) (writer.Stored, error) { return writer.Stored{}, err })
		return
	}
	defer closeStore()
	if e, ok := r.store.(interface{ Ensure(context.Context) error }); ok {
		warmCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := e.Ensure(warmCtx); err != nil {
			r.log.Warn("cold start: schema not ready, will retry on first invocation", "error", err.Error())
		}
		cancel()
	}
	lambda.Start(r.handle)
}
