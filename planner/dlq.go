package planner

// The dead-letter queue is the design's failure-record limit: every function's onFailure
// destination is the stack's SQS queue, and a writer's failure record carries the whole
// destination record it failed on as its requestPayload, so a record can fit the async
// payload limit and still be too large to be kept when the writer fails.

// DLQMaxMessageBytes is the largest message the stack's dead-letter queue accepts: infra
// creates the queue without a maximum message size, so the AWS provider's default applies,
// 262,144 bytes (pulumi-aws v6's sqs.Queue maxMessageSize is 1,024-262,144, default
// 262,144; SQS itself takes up to 1 MiB since 2025, which the provider refuses).
const DLQMaxMessageBytes = 262144

// FailureRecordOverheadBytes estimates what a writer's failure record adds around the
// destination record it carries: the failure record's own fields (as RecordOverheadBytes)
// and the error object returned as its responsePayload (errorMessage, errorType), taken as
// 1,024 bytes.
const FailureRecordOverheadBytes = RecordOverheadBytes + 1024

// FailureRecordBytes estimates the failure record of a writer invocation that failed on a
// destination record of record bytes.
func FailureRecordBytes(record int64) int64 { return record + FailureRecordOverheadBytes }
