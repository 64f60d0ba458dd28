package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// checkFlags refuses flags that cannot work together (bad input: exit status 2).
func checkFlags(fs *flag.FlagSet, queueURL, writer, writerEndpoint, relay, relayEndpoint string, max int, wait, visibility time.Duration) error {
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q (all options are flags; see -h)", fs.Arg(0))
	case queueURL == "":
		return errors.New("--queue-url is required (the dead-letter queue's URL)")
	case writer == "" && writerEndpoint == "" && relay == "" && relayEndpoint == "":
		return errors.New("--writer FUNCTION (AWS) or --writer-endpoint URL (local emulator) is required; in a relay topology --relay FUNCTION or --relay-endpoint URL")
	case max < 0:
		return fmt.Errorf("--max %d: must be 0 (no limit) or more", max)
	case wait < 0 || wait > 20*time.Second:
		return fmt.Errorf("--wait %s: must be between 0s and 20s (the SQS long-poll maximum)", wait)
	case visibility < time.Second || visibility > 12*time.Hour:
		return fmt.Errorf("--visibility %s: must be between 1s and 12h (the SQS limits)", visibility)
	}
	return nil
}

// credentialsTimeout bounds the SDK's search for credentials (its last stop, the instance
// metadata service, is slow to give up off EC2).
const credentialsTimeout = 10 * time.Second

// errNoCredentials is the one-line answer when the SDK's chain finds no credentials: what to
// set, not the chain's last attempt (an instance-metadata error off EC2).
var errNoCredentials = errors.New("no AWS credentials: set AWS_PROFILE (an SSO login works), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; " +
	"for the local dead-letter queue of cmd/local use --endpoint with --writer-endpoint or --relay-endpoint")

// haveCredentials retrieves cfg's credentials before any call, so that their absence is one
// line instead of the first call's error.
func haveCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return errNoCredentials
	}
	ctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return errNoCredentials
	}
	return nil
}
