// Command redrive hands failed work back to where it should have gone. Failures end up in two
// places: the dead-letter queue (SQS: failure records that fit its 262,144 B, and the runs the
// schedule could not start) and the failure bucket (S3: the writer's failure records in the
// destination topology, which carry a whole destination record, up to 1 MiB). redrive reads
// both, extracts from each onFailure record the writer's original input (its requestPayload),
// invokes the writer synchronously, and deletes each message or object only after the writer
// stored it. Failed fetches and missed runs are started again through the relay (--relay) or,
// asynchronously as the schedule would, through the fetcher (--fetcher); each is stored under
// its own scheduled time, once. Without either they are left where they are.
//
//	redrive --queue-url URL --bucket BUCKET --writer FUNCTION --fetcher FUNCTION   # destination
//	redrive --queue-url URL --writer FUNCTION --fetcher FUNCTION                   # s3
//	redrive --queue-url URL --relay FUNCTION                                       # nat-gateway, nat-instance, ipv6
//	redrive --queue-url URL --endpoint http://127.0.0.1:PORT \
//	        --writer-endpoint http://127.0.0.1:RIEPORT                              # locally (fauxqs + the emulator)
//
// Exit status (internal/exitcode): 0 all redriven, 1 something is still left (or AWS failed),
// 2 bad flags.
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
	"github.com/aws/aws-sdk-go-v2/service/s3"
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

// usageHead is the head of -h.
const usageHead = `Usage: redrive (--queue-url URL | --bucket BUCKET) (--writer NAME | --relay NAME | --writer-endpoint URL | --relay-endpoint URL) [--fetcher NAME] [flags]

Hands failed writes back to the writer from the dead-letter queue and the failure bucket, starts
failed fetches and missed runs again through the relay or the fetcher, and deletes each message
or object only once it is stored.
Exit status: 0 everything redriven, 1 something is still left (or no AWS credentials, an AWS
error), 2 bad flags.

Flags:`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("redrive", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	queueURL := fs.String("queue-url", "", "URL of the dead-letter queue (stack output dlqUrl)")
	bucket := fs.String("bucket", "", "the failure bucket (stack output failureBucket, destination topology): failure records too large for the queue")
	endpoint := fs.String("endpoint", "", "SQS endpoint for a local server (e.g. fauxqs at http://127.0.0.1:PORT); uses dummy credentials")
	s3Endpoint := fs.String("s3-endpoint", "", "S3 endpoint for a local server holding --bucket (path-style); uses dummy credentials")
	region := fs.String("region", "", "AWS region (default: from the environment / profile; us-east-1 with --endpoint)")
	writer := fs.String("writer", "", "writer function name or ARN (in AWS)")
	writerEndpoint := fs.String("writer-endpoint", "", "Lambda Invoke endpoint of a local writer (the emulator, http://127.0.0.1:PORT); function name defaults to \"function\"")
	relay := fs.String("relay", "", "relay function name or ARN: failed and missed schedule events are run again through it (relay topologies)")
	fetcher := fs.String("fetcher", "", "fetcher function name or ARN: failed and missed schedule events are started again through it, asynchronously (destination, s3)")
	relayEndpoint := fs.String("relay-endpoint", "", "Lambda Invoke endpoint of a local relay (the emulator)")
	max := fs.Int("max", 0, "stop after this many messages (0 = until the queue has nothing new)")
	wait := fs.Duration("wait", 2*time.Second, "long-poll wait of each receive (at most 20s)")
	visibility := fs.Duration("visibility", time.Minute, "how long a received message stays hidden; one the writer failed on reappears after it")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, usageHead)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return &exitcode.UsageError{Err: fmt.Errorf("%w (run redrive -h for the flags)", err)}
	}
	if err := checkFlags(fs, flags{queueURL: *queueURL, bucket: *bucket, s3Endpoint: *s3Endpoint, writer: *writer, writerEndpoint: *writerEndpoint,
		relay: *relay, relayEndpoint: *relayEndpoint, fetcher: *fetcher, max: *max, wait: *wait, visibility: *visibility}); err != nil {
		return &exitcode.UsageError{Err: err}
	}

	var opts []func(*awsconfig.LoadOptions) error
	if *region != "" {
		opts = append(opts, awsconfig.WithRegion(*region))
	} else if *endpoint != "" || *s3Endpoint != "" || *writerEndpoint != "" || *relayEndpoint != "" {
		opts = append(opts, awsconfig.WithRegion("us-east-1"))
	}
	local := (*queueURL == "" || *endpoint != "") && (*bucket == "" || *s3Endpoint != "")
	if local && *writer == "" && *relay == "" && *fetcher == "" { // everything local: no AWS credentials needed
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("load AWS config: %w", err)
	}
	if !local || *writer != "" || *relay != "" || *fetcher != "" { // a call goes to AWS
		if err := haveCredentials(ctx, cfg); err != nil {
			return err
		}
	}
	r := &redrive.Redriver{Wait: *wait, Visibility: *visibility, Log: stdout}
	if *queueURL != "" {
		r.Queue = sqs.NewFromConfig(cfg, func(o *sqs.Options) {
			if *endpoint != "" {
				o.BaseEndpoint = aws.String(*endpoint)
				o.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
			}
		})
		r.QueueURL = *queueURL
	}
	if *bucket != "" {
		r.Bucket = *bucket
		r.Objects = s3.NewFromConfig(cfg, func(o *s3.Options) {
			if *s3Endpoint != "" {
				o.BaseEndpoint, o.UsePathStyle = aws.String(*s3Endpoint), true
				o.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
			}
		})
	}
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
	r.Writer, r.Rerun = function(*writer, *writerEndpoint), function(*relay, *relayEndpoint)
	if *fetcher != "" {
		r.Replay = lambdaasync.LambdaFunction{Client: lambda.NewFromConfig(cfg), Name: *fetcher, Async: true}
	}
	c, err := r.Run(ctx, *max)
	fmt.Fprintf(stdout, "redrive: received %d, redriven %d (stored and deleted), writer failed %d, runs started again %d, delete failed %d, failed fetches left %d, missed runs left %d, unreadable %d; %d left\n",
		c.Received, c.Redriven, c.WriterFailed, c.Rerun, c.DeleteFailed, c.FetchFailures, c.MissedRuns, c.Unreadable, c.Left())
	if err != nil {
		return err
	}
	if n := c.WriterFailed + c.DeleteFailed + c.Unreadable; n > 0 {
		return fmt.Errorf("%d message(s) or object(s) could not be redriven and are still there (see above)", n)
	}
	return nil
}
