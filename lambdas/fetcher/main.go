// Command fetch is the fetcher Lambda function's bootstrap (provided.al2023): it fetches the
// configured source on each scheduled invocation and returns the envelope (destination mode) or
// an S3 pointer (s3 mode, or spill). The logic and its environment variables are in package
// handlers/fetcher.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
)

func main() {
	// A configuration error is logged and returned by every invocation (see HandlerFromEnv).
	handler, _ := fetcher.HandlerFromEnv(context.Background(), os.Getenv, os.Stdout)
	lambda.StartHandlerFunc(handler)
}
