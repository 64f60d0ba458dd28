package lambdaasync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/planner"
)

// SQSSender is the part of the SQS client a queue destination needs.
type SQSSender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQSDestination sends each invocation record as the body of one message, as Lambda's SQS
// destination does (aws-facts 1.14: "SQS/SNS: record is the Message").
type SQSDestination struct {
	Client   SQSSender
	QueueURL string
	// MaxMessageBytes is the queue's maximum message size (its MaximumMessageSize
	// attribute; the deployed queue's is planner.DLQMaxMessageBytes): SQS refuses a larger
	// message, so Lambda cannot deliver the record (DestinationDeliveryFailures). 0: no check
	// here (the server's own limit still applies).
	MaxMessageBytes int64
}

// ErrMessageTooLarge is wrapped by SQSDestination.Send's error for a record over the queue's
// maximum message size.
var ErrMessageTooLarge = errors.New("record too large for the queue")

// Send puts record on the queue.
func (d SQSDestination) Send(ctx context.Context, record []byte) error {
	if d.MaxMessageBytes > 0 && int64(len(record)) > d.MaxMessageBytes {
		return fmt.Errorf("send record to %s: %w: %d bytes, over the queue's maximum message size of %d bytes: Lambda cannot deliver it (DestinationDeliveryFailures)",
			d.QueueURL, ErrMessageTooLarge, len(record), d.MaxMessageBytes)
	}
	if _, err := d.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(d.QueueURL),
		MessageBody: aws.String(string(record)),
	}); err != nil {
		return fmt.Errorf("send record (%d bytes) to %s: %w", len(record), d.QueueURL, err)
	}
	return nil
}

// PayloadLimit wraps a Lambda destination with the asynchronous payload limit: a record of
// more than limit bytes is not delivered (Lambda reports DestinationDeliveryFailures; the
// docs name size limits as a cause, aws-facts 1.9-1.10). limit comes from the planner's
// price book (Book.AsyncPayloadLimit).
func PayloadLimit(d Destination, limit int64) Destination {
	return limited{d: d, limit: limit}
}

type limited struct {
	d     Destination
	limit int64
}

func (l limited) Send(ctx context.Context, record []byte) error {
	if int64(len(record)) > l.limit {
		return fmt.Errorf("invocation record of %d bytes exceeds the asynchronous payload limit of %d bytes: Lambda cannot deliver it (DestinationDeliveryFailures)", len(record), l.limit)
	}
	return l.d.Send(ctx, record)
}

// S3Putter is the part of the S3 client an S3 destination needs.
type S3Putter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// S3Destination keeps each invocation record as one JSON object, as Lambda's S3 on-failure
// destination does: under planner.FailureKeyPrefix, named by FailureKey. S3 takes a record of
// any size Lambda can send.
type S3Destination struct {
	Client S3Putter
	Bucket string
	// NewID names each object uniquely (nil: a random UUID).
	NewID func() string
}

// Send writes record to the bucket. The function name and time in the key come from the
// record itself (requestContext.functionArn and timestamp), as Lambda names them.
func (d S3Destination) Send(ctx context.Context, record []byte) error {
	var rec event.Record
	if err := json.Unmarshal(record, &rec); err != nil {
		return fmt.Errorf("s3 destination: record: %w", err)
	}
	at, err := rec.Time()
	if err != nil {
		return fmt.Errorf("s3 destination: %w", err)
	}
	newID := d.NewID
	if newID == nil {
		newID = randomID
	}
	key := FailureKey(FunctionName(rec.RequestContext.FunctionARN), at, newID())
	if _, err := d.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(d.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(record),
		ContentLength: aws.Int64(int64(len(record))),
		ContentType:   aws.String("application/json"),
	}); err != nil {
		return fmt.Errorf("put record (%d bytes) to s3://%s/%s: %w", len(record), d.Bucket, key, err)
	}
	return nil
}

// FailureKey is the object key Lambda's S3 destination gives a record of function at time at:
// aws/lambda/async/<function-name>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
func FailureKey(function string, at time.Time, id string) string {
	at = at.UTC()
	return planner.FailureKeyPrefix + function + "/" + at.Format("2006/01/02") + "/" + at.Format("2006-01-02T15.04.05") + "-" + id
}

// FunctionName is the function's name in a (possibly qualified) function ARN
// (arn:aws:lambda:region:account:function:name[:qualifier]); anything else is returned as is.
func FunctionName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":function:")
	if !ok {
		return arn
	}
	name, _, _ := strings.Cut(rest, ":")
	return name
}
