package fetcher

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
)

// HandlerFunc is the fetcher's Lambda handler type.
type HandlerFunc = func(ctx context.Context, requestEvent json.RawMessage) (json.RawMessage, error)

// HandlerFromEnv builds the handler at cold start from the environment (getenv; the AWS SDK
// reads its own variables, such as AWS_ENDPOINT_URL_S3, from the process environment). Logs
// and the EMF line go to stdout. If the configuration is bad it logs the error and returns,
// with it, a handler that fails every invocation with that error, so the reason reaches the
// caller and the async failure destination instead of a bare init crash.
func HandlerFromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (HandlerFunc, error) {
	logger := NewLogger(stdout, slog.LevelInfo)
	f, err := fromEnv(ctx, getenv, stdout, logger)
	if err != nil {
		logger.LogAttrs(ctx, slog.LevelError, "fetcher not configured", slog.String("error", err.Error()))
		return func(context.Context, json.RawMessage) (json.RawMessage, error) { return nil, err }, err
	}
	return f.Handle, nil
}

func fromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer, logger *slog.Logger) (*Fetcher, error) {
	cfg, err := SettingsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	var s3 blob.S3API
	if cfg.NeedsBucket() {
		client, err := blob.NewS3Client(ctx, cfg.ForcePathStyle)
		if err != nil {
			return nil, err
		}
		s3 = client
	}
	f, err := New(cfg, s3, logger, stdout)
	if err != nil {
		return nil, err
	}
	if err := SecretHeadersFromEnv(ctx, f, cfg.Source); err != nil {
		return nil, err
	}
	return f, nil
}
