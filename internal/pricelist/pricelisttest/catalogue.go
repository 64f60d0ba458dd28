package pricelisttest

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lambdabridge/lambdabridge/planner"
)

// Dates every catalogue product carries unless a test changes them.
const (
	// PublicationDate is the documents' publicationDate.
	PublicationDate = "2026-11-20T09:14:07Z"
	// EffectiveDate is the on-demand terms' effectiveDate.
	EffectiveDate = "2026-11-01T00:00:00Z"
	// OnDemandTermCode is the offer term code of on-demand terms.
	OnDemandTermCode = "JRTCKXETXF"
)

// Region is the region a catalogue prices.
type Region struct {
	// Code is the region code, e.g. "eu-central-1"; Location the Price List's name for it.
	Code, Location string
	// Prefix is the region's usage-type prefix, e.g. "EUC1" ("USE1" for us-east-1).
	Prefix string
	// Home is true for us-east-1, where most usage types carry no prefix.
	Home bool
}

// Regions the tests use.
var (
	USEast1      = Region{Code: "us-east-1", Location: "US East (N. Virginia)", Prefix: "USE1", Home: true}
	EUCentral1   = Region{Code: "eu-central-1", Location: "EU (Frankfurt)", Prefix: "EUC1"}
	APNortheast1 = Region{Code: "ap-northeast-1", Location: "Asia Pacific (Tokyo)", Prefix: "APN1"}
	EUNorth1     = Region{Code: "eu-north-1", Location: "EU (Stockholm)", Prefix: "EUN1"}
)

// Figures are the prices a catalogue is built with: planner item -> USD per Price List
// unit, as the Price List writes it (e.g. "0.0450000000"). Catalogue panics on a
// regional item without a figure, so a new planner item needs a product here.
type Figures map[string]string

// usageType is ut as the region names it: bare in us-east-1 unless always prefixed.
func (r Region) usageType(ut string, alwaysPrefixed bool) string {
	if r.Home && !alwaysPrefixed {
		return ut
	}
	return r.Prefix + "-" + ut
}

// code is a stable Price-List-like code (upper case letters and digits) of parts.
func code(n int, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "|")))
	return base32.StdEncoding.EncodeToString(sum[:])[:n]
}

// tier is one dimension of a product: from begin to end (Inf) at usd.
type tier struct{ begin, end, usd, desc string }

// product builds a product of the region with the given tiers; the SKU is derived from
// the region, service and attributes, so it is stable and distinct.
func (r Region) product(service, family string, attrs map[string]string, unit string, tiers ...tier) Product {
	a := map[string]string{"regionCode": r.Code, "location": r.Location, "locationType": "AWS Region"}
	for k, v := range attrs {
		a[k] = v
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	id := []string{service, family}
	for _, k := range keys {
		id = append(id, k+"="+a[k])
	}
	sku := code(16, id...)
	t := Term{OfferTermCode: OnDemandTermCode, EffectiveDate: EffectiveDate}
	for _, tr := range tiers {
		t.Dimensions = append(t.Dimensions, Dimension{Code: code(10, sku, tr.begin), Unit: unit,
			BeginRange: tr.begin, EndRange: tr.end, Description: tr.desc, USD: tr.usd})
	}
	return Product{ServiceCode: service, SKU: sku, ProductFamily: family, Attributes: a,
		OnDemand: []Term{t}, PublicationDate: PublicationDate, Version: "20261120091407"}
}

// flat is a single open tier.
func flat(usd, desc string) tier { return tier{"0", "Inf", usd, desc} }

// Catalogue is a region's Price List products for every planner item, priced with
// figures, beside the sibling products a careless query would also pick: Multi-AZ,
// MySQL, Extended Support and FIFO twins, the regional NAT gateway, other operating systems and capacity
// states, Intelligent-Tiering overhead storage, ARM request products, idle addresses
// and free-tier and volume tiers. Their prices are not figures: they must never be read.
func Catalogue(r Region, f Figures) []Product {
	for _, item := range planner.RegionalItems {
		if _, ok := f[item]; !ok {
			panic(fmt.Sprintf("pricelisttest.Catalogue: no figure for %s", item))
		}
	}
	ut := func(s string) string { return r.usageType(s, false) }
	at := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	box := func(os, tenancy, capacity, usage, usd string) Product {
		return r.product("AmazonEC2", "Compute Instance", at("usagetype", ut(usage), "instanceType", "t4g.nano",
			"operatingSystem", os, "tenancy", tenancy, "preInstalledSw", "NA", "capacitystatus", capacity,
			"operation", "RunInstances"), "Hrs", flat(usd, "On Demand "+os+" t4g.nano Instance Hour"))
	}
	rdsInstance := func(engine, deployment, usage, usd string) Product {
		return r.product("AmazonRDS", "Database Instance", at("usagetype", ut(usage), "instanceType", "db.t4g.micro",
			"databaseEngine", engine, "deploymentOption", deployment), "Hrs",
			flat(usd, "RDS db.t4g.micro "+deployment+" instance hour running "+engine))
	}
	rdsStorage := func(engine, deployment, usage, usd string) Product {
		return r.product("AmazonRDS", "Database Storage", at("usagetype", r.usageType(usage, true), "volumeType", "General Purpose-GP3",
			"databaseEngine", engine, "deploymentOption", deployment), "GB-Mo", flat(usd, "Storage for "+deployment+" GP3 database"))
	}
	return []Product{
		// Lambda: requests (the ARM product prices the same and must not be confused),
		// duration per architecture, tiered by monthly GB-seconds.
		r.product("AWSLambda", "Serverless", at("usagetype", ut("Request"), "group", "AWS-Lambda-Requests"), "Requests",
			flat(f[planner.ItemLambdaRequest], "AWS Lambda - Total Requests")),
		r.product("AWSLambda", "Serverless", at("usagetype", ut("Request-ARM"), "group", "AWS-Lambda-Requests-ARM"), "Requests",
			flat("0.0000002100", "AWS Lambda - Total Requests - ARM")),
		r.product("AWSLambda", "Serverless", at("usagetype", ut("Lambda-GB-Second"), "group", "AWS-Lambda-Duration"), "Lambda-GB-Second",
			tier{"0", "6000000000", f[planner.ItemLambdaGBSecondX86], "AWS Lambda - Total Compute - Tier 1"},
			tier{"6000000000", "15000000000", "0.0000150000", "AWS Lambda - Total Compute - Tier 2"},
			tier{"15000000000", "Inf", "0.0000133334", "AWS Lambda - Total Compute - Tier 3"}),
		r.product("AWSLambda", "Serverless", at("usagetype", ut("Lambda-GB-Second-ARM"), "group", "AWS-Lambda-Duration-ARM"), "Lambda-GB-Second",
			tier{"0", "7500000000", f[planner.ItemLambdaGBSecondArm], "AWS Lambda - Total Compute - ARM - Tier 1"},
			tier{"7500000000", "18750000000", "0.0000120001", "AWS Lambda - Total Compute - ARM - Tier 2"},
			tier{"18750000000", "Inf", "0.0000106667", "AWS Lambda - Total Compute - ARM - Tier 3"}),
		r.product("AWSLambda", "Serverless", at("usagetype", ut("Lambda-Provisioned-GB-Second"), "group", "AWS-Lambda-Provisioned-Concurrency"), "Lambda-GB-Second",
			flat("0.0000041667", "AWS Lambda - Provisioned Concurrency")),
		// S3: Standard requests and storage (tiered), beside the overhead storage product
		// that shares the storage usage type.
		r.product("AmazonS3", "API Request", at("usagetype", ut("Requests-Tier1"), "group", "S3-API-Tier1"), "Requests",
			flat(f[planner.ItemS3Put], "PUT, COPY, POST, or LIST requests")),
		r.product("AmazonS3", "API Request", at("usagetype", ut("Requests-Tier2"), "group", "S3-API-Tier2"), "Requests",
			flat(f[planner.ItemS3Get], "GET and all other requests")),
		r.product("AmazonS3", "Storage", at("usagetype", ut("TimedStorage-ByteHrs"), "volumeType", "Standard", "storageClass", "General Purpose"), "GB-Mo",
			tier{"0", "51200", f[planner.ItemS3Storage], "first 50 TB / month of storage used"},
			tier{"51200", "512000", "0.0220000000", "next 450 TB / month of storage used"},
			tier{"512000", "Inf", "0.0210000000", "storage used / month over 500 TB"}),
		r.product("AmazonS3", "Storage", at("usagetype", ut("TimedStorage-ByteHrs"), "volumeType", "INTAAS3ObjectOverhead", "storageClass", "Intelligent-Tiering"), "GB-Mo",
			flat("0.0210000000", "Intelligent-Tiering object overhead")),
		// EC2: the zonal NAT gateway beside the regional one, t4g.nano Linux beside other
		// systems and capacity states, gp3 volumes.
		r.product("AmazonEC2", "NAT Gateway", at("usagetype", ut("NatGateway-Hours"), "operation", "NatGateway"), "Hrs",
			flat(f[planner.ItemNATGatewayHour], "NAT Gateway Hour")),
		r.product("AmazonEC2", "NAT Gateway", at("usagetype", ut("NatGateway-Bytes"), "operation", "NatGateway"), "GB",
			flat(f[planner.ItemNATGatewayGB], "per GB Data Processed by NAT Gateways")),
		r.product("AmazonEC2", "NAT Gateway", at("usagetype", ut("RegionalNatGateway-Hours"), "operation", "RegionalNatGateway"), "Hrs",
			flat("0.0990000000", "Regional NAT Gateway AZ-Hour")),
		r.product("AmazonEC2", "NAT Gateway", at("usagetype", ut("RegionalNatGateway-Bytes"), "operation", "RegionalNatGateway"), "GB",
			flat("0.0990000000", "per GB Data Processed by Regional NAT Gateways")),
		box("Linux", "Shared", "Used", "BoxUsage:t4g.nano", f[planner.ItemEC2NanoHour]),
		box("Linux", "Shared", "UnusedCapacityReservation", "BoxUsage:t4g.nano", "0.0999000000"),
		box("RHEL", "Shared", "Used", "BoxUsage:t4g.nano", "0.0610000000"),
		box("Linux", "Dedicated", "Used", "DedicatedUsage:t4g.nano", "0.0046000000"),
		r.product("AmazonEC2", "Storage", at("usagetype", ut("EBS:VolumeUsage.gp3"), "volumeApiName", "gp3", "volumeType", "General Purpose"), "GB-Mo",
			flat(f[planner.ItemEBSGp3], "per GB-month of General Purpose (gp3) provisioned storage")),
		r.product("AmazonEC2", "Storage", at("usagetype", ut("EBS:VolumeUsage.gp2"), "volumeApiName", "gp2", "volumeType", "General Purpose"), "GB-Mo",
			flat("0.1990000000", "per GB-month of General Purpose SSD (gp2) provisioned storage")),
		// VPC: in-use and idle public IPv4 addresses.
		r.product("AmazonVPC", "VPC Public IPv4 Address", at("usagetype", ut("PublicIPv4:InUseAddress"), "group", "VPCPublicIPv4Address"), "Hrs",
			flat(f[planner.ItemPublicIPv4Hour], "In-use public IPv4 address per hour")),
		r.product("AmazonVPC", "VPC Public IPv4 Address", at("usagetype", ut("PublicIPv4:IdleAddress"), "group", "VPCPublicIPv4Address"), "Hrs",
			flat("0.0990000000", "Idle public IPv4 address per hour")),
		// CloudWatch: Logs ingestion, alarms, metrics (tiered).
		r.product("AmazonCloudWatch", "Data Payload", at("usagetype", ut("DataProcessing-Bytes"), "group", "Ingested Logs"), "GB",
			flat(f[planner.ItemLogsIngest], "per GB custom log data ingested")),
		r.product("AmazonCloudWatch", "Data Payload", at("usagetype", ut("VendedLog-Bytes"), "group", "Vended Logs"), "GB",
			flat("0.9900000000", "per GB vended log data ingested")),
		r.product("AmazonCloudWatch", "Alarm", at("usagetype", ut("CW:AlarmMonitorUsage"), "alarmType", "Standard"), "Alarms",
			flat(f[planner.ItemCloudWatchAlarm], "per alarm metric month - standard resolution")),
		r.product("AmazonCloudWatch", "Metric", at("usagetype", ut("CW:MetricMonitorUsage"), "group", "Metric"), "Metrics",
			tier{"0", "10000", f[planner.ItemCloudWatchMetric], "first 10,000 metrics"},
			tier{"10000", "250000", "0.1000000000", "next 240,000 metrics"},
			tier{"250000", "Inf", "0.0500000000", "next 750,000 metrics"}),
		// RDS: PostgreSQL Single-AZ beside MySQL, Multi-AZ and Extended Support (whose usage
		// type contains the instance usage type); storage is prefixed even in us-east-1.
		rdsInstance("PostgreSQL", "Single-AZ", "InstanceUsage:db.t4g.micro", f[planner.ItemRDSMicroHour]),
		rdsInstance("MySQL", "Single-AZ", "InstanceUsage:db.t4g.micro", "0.0170000000"),
		rdsInstance("PostgreSQL", "Multi-AZ", "Multi-AZUsage:db.t4g.micro", "0.0320000000"),
		rdsInstance("PostgreSQL", "Single-AZ", "ExtendedSupport-InstanceUsage:db.t4g.micro", "0.1000000000"),
		rdsStorage("PostgreSQL", "Single-AZ", "RDS:GP3-Storage", f[planner.ItemRDSGp3]),
		rdsStorage("MySQL", "Single-AZ", "RDS:GP3-Storage", "0.1160000000"),
		rdsStorage("PostgreSQL", "Multi-AZ", "RDS:Multi-AZ-GP3-Storage", "0.2300000000"),
		// EventBridge Scheduler: 14 million invocations free, then the price.
		r.product("AWSEvents", "EventBridge", at("usagetype", ut("ScheduledInvocation"), "operation", "Invocation", "invocation", "Scheduled Invocation"), "Invocations",
			tier{"0", "14000000", "0.0000000000", "$0 for the first 14 million scheduled invocations"},
			tier{"14000000", "Inf", f[planner.ItemSchedulerInvoke], "per scheduled invocation after the first 14 million"}),
		// SQS: us-east-1 names standard requests Requests-RBP; FIFO queues cost more.
		r.product("AWSQueueService", "API Request", at("usagetype", ut(sqsUsage(r)), "group", "SQS-APIRequest-Tier1", "queueType", "Standard"), "Requests",
			tier{"0", "100000000000", f[planner.ItemSQSRequest], "first 100 billion standard requests / month"},
			tier{"100000000000", "200000000000", "0.0000003000", "next 100 billion standard requests / month"},
			tier{"200000000000", "Inf", "0.0000002400", "standard requests / month over 200 billion"}),
		r.product("AWSQueueService", "API Request", at("usagetype", ut("Requests-FIFO-Tier1"), "group", "SQS-APIRequest-Tier1", "queueType", "FIFO (first-in, first-out)"), "Requests",
			flat("0.0000005000", "FIFO requests")),
		// SNS: the first 1,000 e-mails are free, HTTP deliveries are another product.
		r.product("AmazonSNS", "Message Delivery", at("usagetype", ut("DeliveryAttempts-SMTP"), "endpointType", "SMTP"), "Notifications",
			tier{"0", "1000", "0.0000000000", "First 1,000 Amazon SNS Email/Email-JSON Notifications per month are free"},
			tier{"1000", "Inf", f[planner.ItemSNSEmail], "per Amazon SNS Email/Email-JSON Notification"}),
		r.product("AmazonSNS", "Message Delivery", at("usagetype", ut("DeliveryAttempts-HTTP"), "endpointType", "HTTP"), "Notifications",
			tier{"0", "100000", "0.0000000000", "First 100,000 Amazon SNS HTTP/HTTPS Notifications per month are free"},
			tier{"100000", "Inf", "0.0000006000", "per Amazon SNS HTTP/HTTPS Notification"}),
	}
}

// sqsUsage is the standard-request usage type: Requests-RBP in us-east-1, Requests-Tier1
// elsewhere.
func sqsUsage(r Region) string {
	if r.Home {
		return "Requests-RBP"
	}
	return "Requests-Tier1"
}

// USD writes a price the way the Price List does, with ten decimals ("0.0450000000").
func USD(v float64) string { return strconv.FormatFloat(v, 'f', 10, 64) }

// BookFigures are the figures the book states for region on day, one per regional item.
func BookFigures(b *planner.Book, region string, day time.Time) (Figures, error) {
	f := Figures{}
	for _, item := range planner.RegionalItems {
		e, err := b.Lookup(region, item, day)
		if err != nil {
			return nil, err
		}
		f[item] = USD(e.Value)
	}
	return f, nil
}
