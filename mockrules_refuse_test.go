package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestMockRulesCoverTheGraph: every resource type the program creates, in every recorded
// graph, has its rules in the mock provider, so no type escapes the checks.
func TestMockRulesCoverTheGraph(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "graph", "*.golden"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded graphs: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			typ := strings.Fields(line)[0]
			if strings.HasPrefix(typ, "lambdabridge:") || seen[typ] {
				continue
			}
			seen[typ] = true
			if _, ok := providerRules[typ]; !ok {
				t.Errorf("%s is in the graph but has no rules in providerRules", typ)
			}
		}
	}
}

// TestMockRefusesOutOfRuleInputs registers, for every resource type in the graph, one
// resource with an input the real provider or AWS refuses, and expects the mock to refuse
// it naming the property; a valid twin of each is accepted (the rule is not simply "no").
func TestMockRefusesOutOfRuleInputs(t *testing.T) {
	longName := strings.Repeat("a", 65)
	cases := []struct {
		typ, logical, prop string
		bad, good          pulumi.Map
	}{
		{"aws:lambda/function:Function", "f", "name", pulumi.Map{"name": pulumi.String("my.function")}, pulumi.Map{"name": pulumi.String("my-function")}},
		{"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "c", "maximumRetryAttempts", pulumi.Map{"maximumRetryAttempts": pulumi.Int(3)}, pulumi.Map{"maximumRetryAttempts": pulumi.Int(2)}},
		// S3 is an onFailure destination only.
		{"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "c", "destinationConfig.onSuccess.destination",
			pulumi.Map{"destinationConfig": pulumi.Map{"onSuccess": pulumi.Map{"destination": pulumi.String("arn:aws:s3:::records")}}},
			pulumi.Map{"destinationConfig": pulumi.Map{"onFailure": pulumi.Map{"destination": pulumi.String("arn:aws:s3:::records")}}}},
		{"aws:lambda/invocation:Invocation", "inv", "input", pulumi.Map{"input": pulumi.String(`{"kind":`)}, pulumi.Map{"input": pulumi.String(`{"kind":"lambdabridge.db-setup"}`)}},
		{"aws:lambda/permission:Permission", "p", "action", pulumi.Map{"action": pulumi.String("invoke")}, pulumi.Map{"action": pulumi.String("lambda:InvokeFunction")}},
		{"aws:cloudwatch/logGroup:LogGroup", "l", "name", pulumi.Map{"name": pulumi.String("/aws/lambda/bad name")}, pulumi.Map{"name": pulumi.String("/aws/lambda/good")}},
		{"aws:cloudwatch/metricAlarm:MetricAlarm", "a", "name", pulumi.Map{"name": pulumi.String(strings.Repeat("x", 256))}, pulumi.Map{"name": pulumi.String("ok")}},
		{"aws:sqs/queue:Queue", "q", "maxMessageSize", pulumi.Map{"maxMessageSize": pulumi.Int(1048576)}, pulumi.Map{"maxMessageSize": pulumi.Int(262144)}},
		{"aws:sns/topic:Topic", "t", "name", pulumi.Map{"name": pulumi.String("alarms.dev")}, pulumi.Map{"name": pulumi.String("alarms-dev")}},
		{"aws:sns/topicSubscription:TopicSubscription", "s", "protocol", pulumi.Map{"protocol": pulumi.String("mail")}, pulumi.Map{"protocol": pulumi.String("email")}},
		{"aws:budgets/budget:Budget", "b", "name", pulumi.Map{"name": pulumi.String("team:monthly")}, pulumi.Map{"name": pulumi.String("team-monthly")}},
		{"aws:rds/instance:Instance", "d", "finalSnapshotIdentifier", pulumi.Map{"finalSnapshotIdentifier": pulumi.String("dev--final")}, pulumi.Map{"finalSnapshotIdentifier": pulumi.String("dev-final")}},
		{"aws:rds/subnetGroup:SubnetGroup", "g", "name", pulumi.Map{"name": pulumi.String("Private_Subnets")}, pulumi.Map{"name": pulumi.String("private_subnets")}},
		{"aws:iam/role:Role", "r", "name", pulumi.Map{"name": pulumi.String(longName)}, pulumi.Map{"name": pulumi.String("role")}},
		{"aws:iam/rolePolicy:RolePolicy", "rp", "policy", pulumi.Map{"policy": pulumi.String("{not json")}, pulumi.Map{"policy": pulumi.String(`{"Version":"2012-10-17","Statement":[]}`)}},
		{"aws:s3/bucketV2:BucketV2", "bk", "bucket", pulumi.Map{"bucket": pulumi.String("My_Bucket")}, pulumi.Map{"bucket": pulumi.String("my-bucket")}},
		{"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "lc", "rules", pulumi.Map{"rules": pulumi.Array{pulumi.Map{"id": pulumi.String("x"), "status": pulumi.String("On")}}},
			pulumi.Map{"rules": pulumi.Array{pulumi.Map{"id": pulumi.String("x"), "status": pulumi.String("Enabled")}}}},
		{"aws:s3/bucketNotification:BucketNotification", "n", "lambdaFunctions", pulumi.Map{"lambdaFunctions": pulumi.Array{pulumi.Map{"events": pulumi.StringArray{pulumi.String("s3:ObjectMade")}}}},
			pulumi.Map{"lambdaFunctions": pulumi.Array{pulumi.Map{"events": pulumi.StringArray{pulumi.String("s3:ObjectCreated:*")}}}}},
		{"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", "", nil, pulumi.Map{"blockPublicAcls": pulumi.Bool(true)}},
		{"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "e", "rules",
			pulumi.Map{"rules": pulumi.Array{pulumi.Map{"applyServerSideEncryptionByDefault": pulumi.Map{"sseAlgorithm": pulumi.String("AES128")}}}},
			pulumi.Map{"rules": pulumi.Array{pulumi.Map{"applyServerSideEncryptionByDefault": pulumi.Map{"sseAlgorithm": pulumi.String("AES256")}}}}},
		{"aws:scheduler/schedule:Schedule", "sc", "target.retryPolicy.maximumRetryAttempts",
			pulumi.Map{"target": pulumi.Map{"retryPolicy": pulumi.Map{"maximumRetryAttempts": pulumi.Int(186)}}},
			pulumi.Map{"target": pulumi.Map{"retryPolicy": pulumi.Map{"maximumRetryAttempts": pulumi.Int(185)}}}},
		// A schedule's dead-letter queue is an SQS queue.
		{"aws:scheduler/schedule:Schedule", "sc", "target.deadLetterConfig.arn",
			pulumi.Map{"target": pulumi.Map{"deadLetterConfig": pulumi.Map{"arn": pulumi.String("arn:aws:sns:us-east-1:123456789012:alarms")}}},
			pulumi.Map{"target": pulumi.Map{"deadLetterConfig": pulumi.Map{"arn": pulumi.String("arn:aws:sqs:us-east-1:123456789012:lambdabridge-dev-dlq")}}}},
		{"aws:ec2/securityGroup:SecurityGroup", "sg", "description", pulumi.Map{"description": pulumi.String("PostgreSQL ← functions")}, pulumi.Map{"description": pulumi.String("PostgreSQL from functions")}},
		{"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "eg", "toPort", pulumi.Map{"toPort": pulumi.Int(70000)}, pulumi.Map{"toPort": pulumi.Int(443)}},
		{"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "in", "cidrIpv4", pulumi.Map{"cidrIpv4": pulumi.String("10.42.0.1/16")}, pulumi.Map{"cidrIpv4": pulumi.String("10.42.0.0/16")}},
		{"aws:ec2/instance:Instance", "i", "rootBlockDevice.volumeType", pulumi.Map{"rootBlockDevice": pulumi.Map{"volumeType": pulumi.String("ssd")}}, pulumi.Map{"rootBlockDevice": pulumi.Map{"volumeType": pulumi.String("gp3")}}},
		{"aws:ec2/vpc:Vpc", "v", "cidrBlock", pulumi.Map{"cidrBlock": pulumi.String("10.0.0.0/8")}, pulumi.Map{"cidrBlock": pulumi.String("10.0.0.0/16")}},
		{"aws:ec2/subnet:Subnet", "sn", "ipv6CidrBlock", pulumi.Map{"ipv6CidrBlock": pulumi.String("2600:1f18:abcd:ef00::/56")}, pulumi.Map{"ipv6CidrBlock": pulumi.String("2600:1f18:abcd:ef01::/64")}},
		{"aws:ec2/routeTable:RouteTable", "rt", "tags", pulumi.Map{"tags": pulumi.StringMap{"aws:name": pulumi.String("x")}}, pulumi.Map{"tags": pulumi.StringMap{"Name": pulumi.String("x")}}},
		{"aws:ec2/routeTableAssociation:RouteTableAssociation", "rta", "", nil, pulumi.Map{"subnetId": pulumi.String("subnet-1")}},
		{"aws:ec2/internetGateway:InternetGateway", "igw", "tags", pulumi.Map{"tags": pulumi.StringMap{strings.Repeat("k", 128): pulumi.String("x")}}, pulumi.Map{"tags": pulumi.StringMap{"k": pulumi.String("x")}}},
		{"aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "eigw", "tags", pulumi.Map{"tags": pulumi.StringMap{"AWS:x": pulumi.String("x")}}, pulumi.Map{"tags": pulumi.StringMap{"x": pulumi.String("x")}}},
		{"aws:ec2/natGateway:NatGateway", "nat", "tags", pulumi.Map{"tags": pulumi.StringMap{"k": pulumi.String(strings.Repeat("v", 257))}}, pulumi.Map{"tags": pulumi.StringMap{"k": pulumi.String("v")}}},
		{"aws:ec2/eip:Eip", "eip", "domain", pulumi.Map{"domain": pulumi.String("public")}, pulumi.Map{"domain": pulumi.String("vpc")}},
		{"aws:ec2/route:Route", "r0", "destinationCidrBlock", pulumi.Map{"destinationCidrBlock": pulumi.String("0.0.0.0")}, pulumi.Map{"destinationCidrBlock": pulumi.String("0.0.0.0/0")}},
		{"aws:ssm/parameter:Parameter", "sp", "name", pulumi.Map{"name": pulumi.String("/aws-lambdabridge/source-headers")}, pulumi.Map{"name": pulumi.String("/lambdabridge-dev/source-headers")}},
		{"aws:ec2/vpcEndpoint:VpcEndpoint", "ep", "vpcEndpointType", pulumi.Map{"vpcEndpointType": pulumi.String("gateway")}, pulumi.Map{"vpcEndpointType": pulumi.String("Gateway")}},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.typ] = true
		t.Run(tc.typ, func(t *testing.T) {
			register := func(props pulumi.Map) error {
				return pulumi.RunErr(func(ctx *pulumi.Context) error {
					var res pulumi.CustomResourceState
					return ctx.RegisterResource(tc.typ, tc.logical, props, &res)
				}, pulumi.WithMocks("lambdabridge", "dev", &mocks{}))
			}
			if err := register(tc.good); err != nil {
				t.Errorf("valid input refused: %v", err)
			}
			if tc.bad == nil {
				if len(providerRules[tc.typ]) != 0 {
					t.Errorf("%s has rules but no bad input in this table", tc.typ)
				}
				return
			}
			err := register(tc.bad)
			if err == nil || !strings.Contains(err.Error(), tc.prop) {
				t.Errorf("bad %s accepted or not named: %v", tc.prop, err)
			}
		})
	}
	var missing []string
	for typ := range providerRules {
		if !covered[typ] {
			missing = append(missing, typ)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no refusal case for %v", missing)
	}
}

// TestMockRefusesLongAutonames: a logical name that leaves no room for the provider's
// suffix is refused as Pulumi would (it errors rather than truncating).
func TestMockRefusesLongAutonames(t *testing.T) {
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var res pulumi.CustomResourceState
		return ctx.RegisterResource("aws:iam/role:Role", strings.Repeat("r", 57), pulumi.Map{}, &res)
	}, pulumi.WithMocks("lambdabridge", "dev", &mocks{}))
	// 57 + "-" + 7 = 65 > 64 (RoleName).
	if err == nil || !strings.Contains(err.Error(), "auto-named name") {
		t.Errorf("a 57-character role logical name: %v, want the auto-name refused", err)
	}
}
