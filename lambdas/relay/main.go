// Command relay is the single VPC function of the nat-gateway, nat-instance and ipv6
// topologies: each scheduled invocation fetches the source and stores the body in PostgreSQL
// in one go, writing the fetcher's EMF guardrail line. The logic and its environment
// (relay.Settings: the fetcher's source part, the async limit and the writer's store part) are
// in package handlers/relay.
package main

import (
	"context"
	"os"

	"github.com/lambdabridge/lambdabridge/handlers/relay"
	"github.com/lambdabridge/lambdabridge/handlers/writer"
	"github.com/lambdabridge/lambdabridge/lambdas/lambdamain"
)

func main() {
	lambdamain.Start("relay", func(ctx context.Context) (lambdamain.Handler[writer.Stored], error) {
		r, closeStore, err := relay.NewFromEnv(ctx, os.Getenv, os.Stdout)
		if err != nil {
			return lambdamain.Handler[writer.Stored]{}, err
		}
		return lambdamain.Handler[writer.Stored]{Handle: r.Handle, Warm: r.Warm, Close: closeStore, Setup: r.Setup}, nil
	})
}
