// Command write is the writer function's bootstrap: it stores the fetch carried by a Lambda
// destination record, an S3 pointer, an S3 event notification or a bare envelope in
// PostgreSQL. The logic lives in handlers/writer; configuration is read once at cold start.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/lambdabridge/lambdabridge/handlers/writer"
	"github.com/lambdabridge/lambdabridge/lambdas/lambdamain"
)

func main() {
	lambdamain.Start("writer", func(ctx context.Context) (lambdamain.Handler[writer.Output], error) {
		w, closeStore, err := writer.NewFromEnv(ctx, os.Getenv, slog.New(slog.NewJSONHandler(os.Stdout, nil)))
		if err != nil {
			return lambdamain.Handler[writer.Output]{}, err
		}
		return lambdamain.Handler[writer.Output]{Handle: w.Handle, Warm: w.Warm, Close: closeStore, Setup: w.Setup}, nil
	})
}
