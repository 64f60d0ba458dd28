package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
	"github.com/lambdabridge/lambdabridge/planner"
)

// The source's secret request headers (lambdabridge:sourceHeaders) live in one standard SSM
// Parameter Store SecureString, encrypted under the AWS managed key aws/ssm. The fetching
// function (fetcher or relay) gets its name in SOURCE_HEADERS_PARAMETER and reads it at cold
// start; its role may call ssm:GetParameter on that parameter and nothing else. The aws/ssm
// key's policy lets every principal of the account decrypt through Parameter Store
// (https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html),
// so no kms:Decrypt grant is needed; Parameter Store makes the one Decrypt per read itself.
// How each topology reaches Parameter Store is the planner's (planner.Shape.SecretAccess).

// SourceHeadersParameterName is the name of a stack's headers parameter:
// "/<project>-<stack>/source-headers".
func SourceHeadersParameterName(namePrefix string) string {
	return "/" + namePrefix + "/source-headers"
}

// newSourceHeaders creates the SecureString holding args.SourceHeaders (nil without headers).
// Its value is a Pulumi secret: encrypted in the stack's state, shown as [secret].
func newSourceHeaders(ctx *pulumi.Context, comp string, args *FunctionsArgs, parent pulumi.ResourceOption) (*ssm.Parameter, error) {
	if args.SourceHeaders == "" {
		return nil, nil
	}
	p, err := ssm.NewParameter(ctx, comp+"-source-headers", &ssm.ParameterArgs{
		Name:        pulumi.String(SourceHeadersParameterName(args.NamePrefix)),
		Description: pulumi.String("lambdabridge: the source's request headers (lambdabridge:sourceHeaders), read by the fetching function at cold start"),
		Type:        pulumi.String("SecureString"),
		Tier:        pulumi.String("Standard"),
		Value:       pulumi.ToSecret(pulumi.String(args.SourceHeaders)).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("source headers parameter: %w", err)
	}
	return p, nil
}

// sourceSettings is the source part of role r's settings: the URL and, with secret headers,
// the parameter holding them and the dual-stack switch when r reaches it over IPv6.
func sourceSettings(args *FunctionsArgs, r planner.Role) fetcher.SourceSettings {
	s := fetcher.NewSourceSettings(args.SourceURL)
	if args.SourceHeaders != "" && args.Shape.SecretAccess(r) != "" {
		s.HeadersParameter = SourceHeadersParameterName(args.NamePrefix)
		s.HeadersDualStack = args.Shape.SecretAccess(r) == planner.SecretOverIPv6
	}
	return s
}

// secretGrant lets a fetching function read the headers parameter, and nothing else of SSM.
func (f *Functions) secretGrant(fact planner.Function) (grant, bool) {
	if f.SourceHeaders == nil || !fact.Fetches {
		return grant{}, false
	}
	return grant{"ReadSourceHeaders", []string{"ssm:GetParameter"}, pulumi.StringArray{f.SourceHeaders.Arn}}, true
}

// VPCSecretAccess is how the shape's VPC function that fetches (the relay) reaches Parameter
// Store for the headers: "" when no VPC function fetches (the fetcher runs outside the VPC).
func VPCSecretAccess(s planner.Shape) planner.SecretAccess {
	for _, r := range s.Functions {
		if f, err := planner.FunctionOf(r); err == nil && f.InVPC && f.Fetches {
			return s.SecretAccess(r)
		}
	}
	return ""
}

// secretEgress opens HTTPS (443) from the VPC functions to Parameter Store's public endpoints
// when a VPC function reads the headers through the NAT or over IPv6, unless the source's own
// port is 443 and already open.
func secretEgress(ctx *pulumi.Context, name string, sg *ec2.SecurityGroup, args *NetworkArgs, parent pulumi.ResourceOption) error {
	if args.SourcePort == 443 {
		return nil
	}
	rule := &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: sg.ID(),
		Description:     pulumi.String("SSM Parameter Store over HTTPS (the source headers)"),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(443),
		ToPort:          pulumi.Int(443),
	}
	switch args.SecretAccess {
	case planner.SecretThroughNAT:
		rule.CidrIpv4 = pulumi.String("0.0.0.0/0")
		name += "-functions-to-ssm"
	case planner.SecretOverIPv6:
		rule.CidrIpv6 = pulumi.String("::/0")
		name += "-functions-to-ssm-v6"
	default:
		return nil
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name, rule, parent); err != nil {
		return fmt.Errorf("egress rule %s: %w", name, err)
	}
	return nil
}
