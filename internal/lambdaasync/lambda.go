package lambdaasync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// LambdaInvoker is the part of the Lambda client a LambdaFunction needs.
type LambdaInvoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// LambdaFunction invokes a function synchronously through the Lambda Invoke API — a real
// function in AWS, or a bootstrap under the Runtime Interface Emulator, which serves the same
// REST path (POST /2015-03-31/functions/function/invocations).
type LambdaFunction struct {
	Client LambdaInvoker
	// Name is the function name or ARN; "function" for the emulator.
	Name string
	// Async invokes with InvocationType Event: Lambda queues the event (202) and runs it with
	// its retries and destinations, as a schedule does; the response then carries nothing.
	Async bool
}

// Invoke runs the function once (RequestResponse), or queues the event (Async). A function
// error comes back as Response.FunctionError: from the X-Amz-Function-Error header in AWS, or,
// as the emulator sets no such header, from an error-object body ({"errorType","errorMessage"})
// or the emulator's 502 after a runtime crash. Other failures are system errors.
func (f LambdaFunction) Invoke(ctx context.Context, requestID string, payload []byte) (Response, error) {
	var opts []func(*lambda.Options)
	if requestID != "" { // the emulator takes the invocation's request id from this header
		opts = append(opts, lambda.WithAPIOptions(smithyhttp.SetHeaderValue("X-Amzn-RequestId", requestID)))
	}
	kind := types.InvocationTypeRequestResponse
	if f.Async {
		kind = types.InvocationTypeEvent
	}
	out, err := f.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(f.Name),
		InvocationType: kind,
		Payload:        payload,
	}, opts...)
	if err != nil {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() == 502 { // emulator: runtime exited mid-invoke
			return Response{Payload: errorObject("Runtime.ExitError", err.Error()), FunctionError: "Unhandled"}, nil
		}
		return Response{}, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	if f.Async {
		return Response{}, nil // queued: what happens next is Lambda's
	}
	if out.FunctionError != nil {
		return Response{Payload: out.Payload, FunctionError: aws.ToString(out.FunctionError)}, nil
	}
	if IsErrorObject(out.Payload) {
		return Response{Payload: out.Payload, FunctionError: "Unhandled"}, nil
	}
	if bytes.HasPrefix(out.Payload, []byte("Task timed out after")) { // emulator's timeout text
		return Response{Payload: errorObject("Sandbox.Timedout", string(out.Payload)), FunctionError: "Unhandled"}, nil
	}
	return Response{Payload: out.Payload}, nil
}

// IsErrorObject reports whether payload is a Lambda error object: a JSON object with an
// "errorType" or "errorMessage" and nothing but error fields.
func IsErrorObject(payload []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil || len(m) == 0 {
		return false
	}
	if _, ok := m["errorMessage"]; !ok {
		if _, ok := m["errorType"]; !ok {
			return false
		}
	}
	for k := range m {
		switch k {
		case "errorMessage", "errorType", "stackTrace", "cause":
		default:
			return false
		}
	}
	return true
}

func errorObject(typ, msg string) []byte {
	b, _ := json.Marshal(map[string]string{"errorType": typ, "errorMessage": msg})
	return b
}

// NewEmulatorClient returns a Lambda client for a Runtime Interface Emulator at endpoint
// ("http://127.0.0.1:PORT"): static dummy credentials, and no SDK retries, so every retry
// is the async queue's, as in Lambda.
func NewEmulatorClient(endpoint string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer:      aws.NopRetryer{},
	})
}
