package lambdaasync

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
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
}

// Send puts record on the queue.
func (d SQSDestination) Send(ctx context.Context, record []byte) error {
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
