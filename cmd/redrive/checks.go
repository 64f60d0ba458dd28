package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// flags are the parsed flags checkFlags holds to their rules.
type flags struct {
	queueURL, bucket, s3Endpoint, writer, writerEndpoint, relay, relayEndpoint, fetcher string
	max                                                                                 int
	wait, visibility                                                                    time.Duration
}

// checkFlags refuses flags that cannot work together (bad input: exit status 2).
func checkFlags(fs *flag.FlagSet, f flags) error {
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q (all options are flags; see -h)", fs.Arg(0))
	case f.queueURL == "" && f.bucket == "":
		return errors.New("--queue-url is required (the dead-letter queue's URL), and --bucket in the destination topology (the failure bucket)")
	case f.writer == "" && f.writerEndpoint == "" && f.relay == "" && f.relayEndpoint == "":
		return errors.New("--writer FUNCTION (AWS) or --writer-endpoint URL (local emulator) is required; in a relay topology --relay FUNCTION or --relay-endpoint URL")
	case f.fetcher != "" && (f.relay != "" || f.relayEndpoint != ""):
		return errors.New("--fetcher and --relay name the scheduled function of different topologies: give one")
	case f.max < 0:
		return fmt.Errorf("--max %d: must be 0 (no limit) or more", f.max)
	case f.wait < 0 || f.wait > 20*time.Second:
		return fmt.Errorf("--wait %s: must be between 0s and 20s (the SQS long-poll maximum)", f.wait)
	case f.visibility < time.Second || f.visibility > 12*time.Hour:
		return fmt.Errorf("--visibility %s: must be between 1s and 12h (the SQS limits)", f.visibility)
	case f.s3Endpoint != "" && f.bucket == "":
		return errors.New("--s3-endpoint needs --bucket (the failure bucket on that server)")
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
