// Command write is the writer function's bootstrap: it stores the fetch carried by a Lambda
// destination record, an S3 pointer, an S3 event notification or a bare envelope in
// PostgreSQL. The logic lives in handlers/writer; configuration is read once at cold start.
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
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	ctx := context.Background()
	w, closeStore, err := writer.NewFromEnv(ctx, os.Getenv, log)
	if err != nil {
		// Every invocation fails with the configuration error, so it shows in the
		// invocation's error (and the destination), not only in an init crash loop.
		log.Error("writer not configured", "error", err.Error())
		lambda.Start(func(context.Context, json.RawMessage) (writer.Output, error) { return writer.Output{}, err })
		return
	}
	defer closeStore()
	warmCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	w.Warm(warmCtx)
	cancel()
	lambda.Start(w.Handle)
}
