// Command redrive hands the writer's failed records back to it: it reads the dead-letter
// queue through the SQS API, extracts from each onFailure record the writer's original input
// (its requestPayload), invokes the writer synchronously, and deletes each message only after
// the writer stored it. In the relay topologies (--relay) a failed schedule event is run
// again through the relay instead. Failed fetcher runs are left in the queue: nothing was
// fetched, and the next scheduled run fetches the source anew.
//
//	redrive --queue-url URL --writer FUNCTION                   # in AWS (destination, s3)
//	redrive --queue-url URL --relay FUNCTION                    # in AWS (nat-gateway, nat-instance, ipv6)
//	redrive --queue-url URL --endpoint http://127.0.0.1:PORT \
//	        --writer-endpoint http://127.0.0.1:RIEPORT          # locally (fauxqs + the emulator)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/redrive"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "redrive:", err)
	}
	os.Exit(exitcode.Of(err))
}

// usage is the head of -h.
const usage = `Usage: redrive --queue-url URL (--writer NAME | --relay NAME | --writer-endpoint URL | --relay-endpoint URL) [flags]

Hands the dead-letter queue's failed writes back to the writer (or runs failed schedule events
again through the relay) and deletes each message only once it is stored.
Exit status: 0 everything redriven, 1 a message is still in the queue (or no AWS credentials,
an AWS error), 2 bad flags.

Flags:`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("redrive", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	queueURL := fs.String("queue-url", "", "URL of the dead-letter queue (required)")
	endpoint := fs.String("endpoint", "", "SQS endpoint for a local server (e.g. fauxqs at http://127.0.0.1:PORT); uses dummy credentials")
	region := fs.String("region", "", "AWS region (default: from the environment / profile; us-east-1 with --endpoint)")
	writer := fs.String("writer", "", "writer function name or ARN (in AWS)")
	writerEndpoint := fs.String("writer-endpoint", "", "Lambda Invoke endpoint of a local writer (the emulator, http://127.0.0.1:PORT); function name defaults to \"function\"")
	relay := fs.String("relay", "", "relay function name or ARN: failed schedule events are run again through it (relay topologies)")
	relayEndpoint := fs.String("relay-endpoint", "", "Lambda Invoke endpoint of a local relay (the emulator)")
	max := fs.Int("max", 0, "stop after this many messages (0 = until the queue has nothing new)")
	wait := fs.Duration("wait", 2*time.Second, "long-poll wait of each receive (at most 20s)")
	visibility := fs.Duration("visibility", time.Minute, "how long a received message stays hidden; one the writer failed on reappears after it")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return &exitcode.UsageError{Err: fmt.Errorf("%w (run redrive -h for the flags)", err)}
	}
	if err := checkFlags(fs, *queueURL, *writer, *writerEndpoint, *relay, *relayEndpoint, *max, *wait, *visibility); err != nil {
		return &exitcode.UsageError{Err: err}
	}

	var opts []func(*awsconfig.LoadOptions) error
	if *region != "" {
		opts = append(opts, awsconfig.WithRegion(*region))
	} else if *endpoint != "" || *writerEndpoint != "" || *relayEndpoint != "" {
		opts = append(opts, awsconfig.WithRegion("us-east-1"))
	}
	if *endpoint != "" && *writer == "" && *relay == "" { // everything local: no AWS credentials needed
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("load AWS config: %w", err)
	}
	if *endpoint == "" || *writer != "" || *relay != "" { // a call goes to AWS
		if err := haveCredentials(ctx, cfg); err != nil {
			return err
		}
	}
	q := sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if *endpoint != "" {
			o.BaseEndpoint = aws.String(*endpoint)
			o.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		}
	})
	function := func(name, endpoint string) lambdaasync.Function {
		switch {
		case endpoint != "":
			if name == "" {
				name = "function" // the emulator serves only this name
			}
			return lambdaasync.LambdaFunction{Client: lambdaasync.NewEmulatorClient(endpoint), Name: name}
		case name != "":
			return lambdaasync.LambdaFunction{Client: lambda.NewFromConfig(cfg), Name: name}
		}
		return nil
	}
	r := &redrive.Redriver{Queue: q, QueueURL: *queueURL, Writer: function(*writer, *writerEndpoint), Rerun: function(*relay, *relayEndpoint),
		Wait: *wait, Visibility: *visibility, Log: stdout}
	c, err := r.Run(ctx, *max)
	fmt.Fprintf(stdout, "redrive: received %d, redriven %d (stored and deleted), writer failed %d, relay re-runs %d, delete failed %d, failed fetches left %d, unreadable %d; %d left in the queue\n",
		c.Received, c.Redriven, c.WriterFailed, c.Rerun, c.DeleteFailed, c.FetchFailures, c.Unreadable, c.Left())
	if err != nil {
		return err
	}
	if n := c.WriterFailed + c.DeleteFailed + c.Unreadable; n > 0 {
		return fmt.Errorf("%d message(s) could not be redriven and are still in the queue (see above)", n)
	}
	return nil
}
