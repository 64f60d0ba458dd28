// Package metrics writes the fetcher's and relay's guardrail metrics as one CloudWatch
// Embedded Metric Format (EMF) log line: CloudWatch Logs extracts the metrics from the line, so
// the function makes no network call to publish them.
//
// The document follows the EMF specification
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
// an "_aws" object holding Timestamp (epoch milliseconds) and one CloudWatchMetrics directive
// (namespace, dimension sets, metric definitions), with the dimension and metric values as
// top-level members.
package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"
)

// Namespace is the CloudWatch namespace of every lambdabridge metric.
const Namespace = "lambdabridge"

// DimensionFunctionName is the only dimension: the Lambda function's name.
const DimensionFunctionName = "FunctionName"

// Metric names, shared with the alarms infra creates.
const (
	RawBytes             = "RawBytes"
	CompressedBytes      = "CompressedBytes"
	RecordBytes          = "RecordBytes"
	LimitBytes           = "LimitBytes"
	RecordPercentOfLimit = "RecordPercentOfLimit"
)

// Units as EMF spells them.
const (
	UnitBytes   = "Bytes"
	UnitPercent = "Percent"
)

// Sizes are one run's sizes in bytes.
type Sizes struct {
	Raw        int64 // fetched body
	Compressed int64 // gzip body in the envelope
	Record     int64 // the destination invocation record carrying what the function returned
	Limit      int64 // the async payload limit the record must fit (0: unknown; LimitBytes and the percent are omitted)
}

// Percent is Record as a percentage of Limit, rounded to two decimals; 0 when Limit is 0.
func (s Sizes) Percent() float64 {
	if s.Limit <= 0 {
		return 0
	}
	return math.Round(float64(s.Record)*10000/float64(s.Limit)) / 100
}

type metricDef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type awsMeta struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// Line returns the EMF document for one run of functionName at time at, as one line of JSON
// ending in a newline. props are extra top-level members (strings, numbers, booleans) that
// CloudWatch keeps as searchable log fields but does not turn into metrics; they must not
// collide with the reserved names.
func Line(functionName string, at time.Time, s Sizes, props map[string]any) ([]byte, error) {
	defs := []metricDef{
		{RawBytes, UnitBytes},
		{CompressedBytes, UnitBytes},
		{RecordBytes, UnitBytes},
	}
	doc := map[string]any{
		DimensionFunctionName: functionName,
		RawBytes:              s.Raw,
		CompressedBytes:       s.Compressed,
		RecordBytes:           s.Record,
	}
	if s.Limit > 0 { // an unknown limit publishes no LimitBytes or percent datapoint (a 0 would be a lie)
		defs = append(defs, metricDef{LimitBytes, UnitBytes}, metricDef{RecordPercentOfLimit, UnitPercent})
		doc[LimitBytes] = s.Limit
		doc[RecordPercentOfLimit] = s.Percent()
	}
	doc["_aws"] = awsMeta{
		Timestamp: at.UnixMilli(),
		CloudWatchMetrics: []directive{{
			Namespace:  Namespace,
			Dimensions: [][]string{{DimensionFunctionName}},
			Metrics:    defs,
		}},
	}
	for _, reserved := range []string{LimitBytes, RecordPercentOfLimit} {
		if _, taken := props[reserved]; taken {
			return nil, fmt.Errorf("metrics: property %q collides with a reserved EMF member", reserved)
		}
	}
	for k, v := range props {
		if _, taken := doc[k]; taken {
			return nil, fmt.Errorf("metrics: property %q collides with a reserved EMF member", k)
		}
		doc[k] = v
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // Encode appends the newline
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("metrics: encode EMF line: %w", err)
	}
	return buf.Bytes(), nil
}

// Write writes the EMF line to w (the function's stdout, which Lambda sends to CloudWatch Logs)
// in a single Write call.
func Write(w io.Writer, functionName string, at time.Time, s Sizes, props map[string]any) error {
	line, err := Line(functionName, at, s, props)
	if err != nil {
		return err
	}
	if _, err := w.Write(line); err != nil {
		return fmt.Errorf("metrics: write EMF line: %w", err)
	}
	return nil
}
