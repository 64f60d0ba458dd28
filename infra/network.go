// Package infra holds lambdabridge's Pulumi ComponentResources: network, database,
// functions, schedule and guardrails. It provisions what the planner chose and never
// computes a price.
package infra

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/planner"
)

// vpcCIDR is the IPv4 block of a VPC the program creates; private subnets take
// 10.42.1.0/24 and 10.42.2.0/24, the public subnet (NAT topologies only) 10.42.0.0/24.
const vpcCIDR = "10.42.0.0/16"

// NetworkArgs configures a Network.
type NetworkArgs struct {
	// Egress is how the VPC function reaches the internet (the topology's
	// planner.Shape.Egress): none, NAT gateway, NAT instance, or IPv6 through an
	// egress-only internet gateway on dual-stack subnets.
	Egress planner.Egress
	// VpcID and SubnetIDs adopt an existing VPC and its private subnets; empty VpcID
	// creates a VPC over two availability zones.
	VpcID     string
	SubnetIDs []string
	// ExistingNAT says the adopted subnets already route to a NAT; required for the NAT
	// topologies on an adopted VPC, since the program adds routes only to a VPC it creates.
	ExistingNAT bool
	// S3Endpoint adds an S3 gateway endpoint on the private route tables (whenever the
	// topology has a handoff bucket: planner.Shape.NeedsS3Endpoint).
	S3Endpoint bool
	// Region is the AWS region, and ReverseDNSPrefix the partition's reverse DNS prefix
	// ("com.amazonaws" in the aws partition): together they name the S3 endpoint service.
	Region, ReverseDNSPrefix string
	// SourcePort is the port of the source URL, which a VPC function with egress must be
	// able to reach (443 for https://, 80 for http://, or the URL's own port).
	SourcePort int
	// NatAMI pins the NAT instance's image; empty takes the newest Amazon Linux 2023
	// image once and keeps it (see newNatInstance).
	NatAMI string
	// SecretAccess is how a VPC function reads the source's secret headers from Parameter
	// Store (VPCSecretAccess of the shape; "" when none does): HTTPS must reach it.
	SecretAccess planner.SecretAccess
}

// Network is the VPC side of a stack: private subnets for the VPC functions and the
// database, one security group for those functions, and the egress the topology needs.
type Network struct {
	pulumi.ResourceState

	// VpcID is the VPC every VPC resource lives in.
	VpcID pulumi.StringOutput
	// PrivateSubnetIDs are the subnets of the VPC functions and the database.
	PrivateSubnetIDs pulumi.StringArrayOutput
	// FunctionSecurityGroupID is the group of the VPC functions (writer or relay).
	FunctionSecurityGroupID pulumi.StringOutput
	// IPv6 says the subnets are dual-stack and functions may use IPv6.
	IPv6 bool
}

// NewNetwork registers a Network component named name.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		return nil, fmt.Errorf("network %s: args are required", name)
	}
	n := &Network{IPv6: args.Egress == planner.EgressIPv6}
	if err := ctx.RegisterComponentResource("lambdabridge:network:Network", name, n, opts...); err != nil {
		return nil, fmt.Errorf("register network %s: %w", name, err)
	}
	parent := pulumi.Parent(n)

	var (
		vpcID         pulumi.StringOutput
		subnetIDs     pulumi.StringArrayOutput
		routeTableIDs pulumi.StringArray
		err           error
	)
	if args.VpcID != "" {
		vpcID, subnetIDs, routeTableIDs, err = adoptVpc(ctx, name, args, parent)
	} else {
		vpcID, subnetIDs, routeTableIDs, err = newVpc(ctx, name, args, n, parent)
	}
	if err != nil {
		return nil, err
	}
	n.VpcID, n.PrivateSubnetIDs = vpcID, subnetIDs

	sg, err := ec2.NewSecurityGroup(ctx, name+"-functions", &ec2.SecurityGroupArgs{
		VpcId:       vpcID,
		Description: pulumi.String("lambdabridge VPC functions (egress only; rules are separate resources)"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network %s: function security group: %w", name, err)
	}
	n.FunctionSecurityGroupID = sg.ID().ToStringOutput()

	if args.S3Endpoint {
		ep, err := ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
			VpcId:           vpcID,
			ServiceName:     pulumi.String(fmt.Sprintf("%s.%s.s3", args.ReverseDNSPrefix, args.Region)),
			VpcEndpointType: pulumi.String("Gateway"),
			RouteTableIds:   routeTableIDs,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("network %s: s3 gateway endpoint: %w", name, err)
		}
		// Gateway endpoints route by prefix list; HTTPS to it is the only way out.
		if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-functions-to-s3", &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId: sg.ID(),
			Description:     pulumi.String("HTTPS to S3 through the gateway endpoint"),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(443),
			ToPort:          pulumi.Int(443),
			PrefixListId:    ep.PrefixListId,
		}, parent); err != nil {
			return nil, fmt.Errorf("network %s: s3 egress rule: %w", name, err)
		}
	}

	// The relay fetches the third-party API on the source URL's port: IPv4 through a NAT,
	// or IPv6. It calls no AWS API itself (its RDS IAM token is signed locally, its logs
	// and metrics go through the Lambda runtime), so no other port is opened.
	switch args.Egress {
	case planner.EgressNATGateway, planner.EgressNATInstance:
		if err := egressToSource(ctx, name+"-functions-to-internet", sg, args.SourcePort, "0.0.0.0/0", "", parent); err != nil {
			return nil, fmt.Errorf("network %s: %w", name, err)
		}
	case planner.EgressIPv6:
		if err := egressToSource(ctx, name+"-functions-to-internet-v6", sg, args.SourcePort, "", "::/0", parent); err != nil {
			return nil, fmt.Errorf("network %s: %w", name, err)
		}
	}

	if err := secretEgress(ctx, name, sg, args, parent); err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}

	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":                   n.VpcID,
		"privateSubnetIds":        n.PrivateSubnetIDs,
		"functionSecurityGroupId": n.FunctionSecurityGroupID,
	}); err != nil {
		return nil, fmt.Errorf("network %s: outputs: %w", name, err)
	}
	return n, nil
}

// egressToSource lets the function group reach the source API on port.
func egressToSource(ctx *pulumi.Context, name string, sg *ec2.SecurityGroup, port int, v4, v6 string, parent pulumi.ResourceOption) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("egress rule %s: source port %d: want 1-65535", name, port)
	}
	args := &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: sg.ID(),
		Description:     pulumi.String(fmt.Sprintf("the source API on port %d", port)),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(port),
		ToPort:          pulumi.Int(port),
	}
	if v4 != "" {
		args.CidrIpv4 = pulumi.String(v4)
	}
	if v6 != "" {
		args.CidrIpv6 = pulumi.String(v6)
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name, args, parent); err != nil {
		return fmt.Errorf("egress rule %s: %w", name, err)
	}
	return nil
}

// adoptVpc uses the user's VPC and subnets. Only the s3 endpoint needs their route
// tables, which are looked up; NAT and IPv6 egress must already exist there.
func adoptVpc(ctx *pulumi.Context, name string, args *NetworkArgs, parent pulumi.ResourceOption) (pulumi.StringOutput, pulumi.StringArrayOutput, pulumi.StringArray, error) {
	var zero pulumi.StringOutput
	if len(args.SubnetIDs) == 0 {
		return zero, pulumi.StringArrayOutput{}, nil, fmt.Errorf("network %s: vpcId %s needs subnetIds (the private subnets for the writer and the database)", name, args.VpcID)
	}
	switch args.Egress {
	case planner.EgressNATGateway, planner.EgressNATInstance:
		if !args.ExistingNAT {
			return zero, pulumi.StringArrayOutput{}, nil, fmt.Errorf("network %s: egress %s on an existing VPC (vpcId %s) needs existingNat: true: lambdabridge adds NAT routes only to a VPC it creates", name, args.Egress, args.VpcID)
		}
	case planner.EgressIPv6:
		return zero, pulumi.StringArrayOutput{}, nil, fmt.Errorf("network %s: IPv6 egress (topology ipv6) on an existing VPC (vpcId %s) is not supported: lambdabridge adds dual-stack subnets and the egress-only gateway only to a VPC it creates; drop vpcId or pick another topology", name, args.VpcID)
	}
	var rts pulumi.StringArray
	if args.S3Endpoint {
		seen := map[string]bool{}
		for _, sub := range args.SubnetIDs {
			rt, err := subnetRouteTable(ctx, args.VpcID, sub)
			if err != nil {
				return zero, pulumi.StringArrayOutput{}, nil, fmt.Errorf("network %s: route table of subnet %s (an S3 gateway endpoint needs it): %w", name, sub, err)
			}
			if !seen[rt] {
				seen[rt] = true
				rts = append(rts, pulumi.String(rt))
			}
		}
	}
	return pulumi.String(args.VpcID).ToStringOutput(), pulumi.ToStringArray(args.SubnetIDs).ToStringArrayOutput(), rts, nil
}

// subnetRouteTable is the route table a subnet uses: the one explicitly associated with it,
// or else the VPC's main route table. The lookup by association finds nothing for a subnet
// that has no explicit association (the common case: it then uses the main table), and the
// provider reports that as an error, so the main table is looked up next.
func subnetRouteTable(ctx *pulumi.Context, vpcID, subnet string) (string, error) {
	rt, err := ec2.LookupRouteTable(ctx, &ec2.LookupRouteTableArgs{SubnetId: &subnet})
	if err == nil {
		return rt.RouteTableId, nil
	}
	main, mainErr := ec2.LookupRouteTable(ctx, &ec2.LookupRouteTableArgs{
		VpcId:   &vpcID,
		Filters: []ec2.GetRouteTableFilter{{Name: "association.main", Values: []string{"true"}}},
	})
	if mainErr != nil {
		return "", fmt.Errorf("no route table associated (%v), and the main route table of %s: %w", err, vpcID, mainErr)
	}
	return main.RouteTableId, nil
}

// newVpc creates a VPC over the first two availability zones with one private subnet
// and route table per zone, plus the egress the topology needs.
func newVpc(ctx *pulumi.Context, name string, args *NetworkArgs, n *Network, parent pulumi.ResourceOption) (pulumi.StringOutput, pulumi.StringArrayOutput, pulumi.StringArray, error) {
	var zero pulumi.StringOutput
	fail := func(what string, err error) (pulumi.StringOutput, pulumi.StringArrayOutput, pulumi.StringArray, error) {
		return zero, pulumi.StringArrayOutput{}, nil, fmt.Errorf("network %s: %s: %w", name, what, err)
	}
	if args.ExistingNAT {
		return fail("config", fmt.Errorf("existingNat: true needs vpcId and subnetIds (the NAT the estimate leaves out must already be there)"))
	}
	state := "available"
	azs, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{State: &state})
	if err != nil {
		return fail("availability zones", err)
	}
	if len(azs.Names) < 2 {
		return fail("availability zones", fmt.Errorf("region has %d available zones, need 2 (an RDS subnet group spans two)", len(azs.Names)))
	}
	v, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:                    pulumi.String(vpcCIDR),
		EnableDnsSupport:             pulumi.Bool(true),
		EnableDnsHostnames:           pulumi.Bool(true),
		AssignGeneratedIpv6CidrBlock: pulumi.Bool(n.IPv6),
		Tags:                         pulumi.StringMap{"Name": pulumi.String(name)},
	}, parent)
	if err != nil {
		return fail("vpc", err)
	}

	var subnets pulumi.StringArray
	var rts pulumi.StringArray
	var rtRes []*ec2.RouteTable
	for i, az := range azs.Names[:2] {
		sa := &ec2.SubnetArgs{
			VpcId:            v.ID(),
			AvailabilityZone: pulumi.String(az),
			CidrBlock:        pulumi.String(fmt.Sprintf("10.42.%d.0/24", i+1)),
			Tags:             pulumi.StringMap{"Name": pulumi.Sprintf("%s-private-%d", name, i+1)},
		}
		if n.IPv6 {
			idx := i + 1
			sa.Ipv6CidrBlock = v.Ipv6CidrBlock.ApplyT(func(block string) (string, error) {
				return ipv6Subnet(block, idx)
			}).(pulumi.StringOutput)
			sa.AssignIpv6AddressOnCreation = pulumi.Bool(true)
		}
		sub, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-private-%d", name, i+1), sa, parent)
		if err != nil {
			return fail("private subnet", err)
		}
		rt, err := ec2.NewRouteTable(ctx, fmt.Sprintf("%s-private-%d", name, i+1), &ec2.RouteTableArgs{
			VpcId: v.ID(),
			Tags:  pulumi.StringMap{"Name": pulumi.Sprintf("%s-private-%d", name, i+1)},
		}, parent)
		if err != nil {
			return fail("private route table", err)
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-private-%d", name, i+1), &ec2.RouteTableAssociationArgs{
			SubnetId:     sub.ID(),
			RouteTableId: rt.ID(),
		}, parent); err != nil {
			return fail("private route table association", err)
		}
		subnets = append(subnets, sub.ID())
		rts = append(rts, rt.ID())
		rtRes = append(rtRes, rt)
	}

	switch args.Egress {
	case planner.EgressNATGateway, planner.EgressNATInstance:
		if err := newNatEgress(ctx, name, args, v, azs.Names[0], rtRes, parent); err != nil {
			return fail("nat", err)
		}
	case planner.EgressIPv6:
		eigw, err := ec2.NewEgressOnlyInternetGateway(ctx, name+"-eigw", &ec2.EgressOnlyInternetGatewayArgs{
			VpcId: v.ID(),
		}, parent)
		if err != nil {
			return fail("egress-only internet gateway", err)
		}
		for i, rt := range rtRes {
			if _, err := ec2.NewRoute(ctx, fmt.Sprintf("%s-private-%d-ipv6-default", name, i+1), &ec2.RouteArgs{
				RouteTableId:             rt.ID(),
				DestinationIpv6CidrBlock: pulumi.String("::/0"),
				EgressOnlyGatewayId:      eigw.ID(),
			}, parent); err != nil {
				return fail("::/0 route", err)
			}
		}
	}
	return v.ID().ToStringOutput(), subnets.ToStringArrayOutput(), rts, nil
}

// newNatEgress adds a public subnet with an internet gateway and either a managed NAT
// gateway or a NAT instance, and points each private route table's 0.0.0.0/0 at it.
func newNatEgress(ctx *pulumi.Context, name string, args *NetworkArgs, v *ec2.Vpc, az string, private []*ec2.RouteTable, parent pulumi.ResourceOption) error {
	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{VpcId: v.ID()}, parent)
	if err != nil {
		return fmt.Errorf("internet gateway: %w", err)
	}
	pub, err := ec2.NewSubnet(ctx, name+"-public", &ec2.SubnetArgs{
		VpcId:            v.ID(),
		AvailabilityZone: pulumi.String(az),
		CidrBlock:        pulumi.String("10.42.0.0/24"),
		Tags:             pulumi.StringMap{"Name": pulumi.Sprintf("%s-public", name)},
	}, parent)
	if err != nil {
		return fmt.Errorf("public subnet: %w", err)
	}
	pubRT, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{VpcId: v.ID()}, parent)
	if err != nil {
		return fmt.Errorf("public route table: %w", err)
	}
	if _, err := ec2.NewRoute(ctx, name+"-public-default", &ec2.RouteArgs{
		RouteTableId:         pubRT.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		GatewayId:            igw.ID(),
	}, parent); err != nil {
		return fmt.Errorf("public default route: %w", err)
	}
	if _, err := ec2.NewRouteTableAssociation(ctx, name+"-public", &ec2.RouteTableAssociationArgs{
		SubnetId:     pub.ID(),
		RouteTableId: pubRT.ID(),
	}, parent); err != nil {
		return fmt.Errorf("public route table association: %w", err)
	}

	route := &ec2.RouteArgs{DestinationCidrBlock: pulumi.String("0.0.0.0/0")}
	if args.Egress == planner.EgressNATGateway {
		eip, err := ec2.NewEip(ctx, name+"-nat", &ec2.EipArgs{Domain: pulumi.String("vpc")}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return fmt.Errorf("nat eip: %w", err)
		}
		nat, err := ec2.NewNatGateway(ctx, name+"-nat", &ec2.NatGatewayArgs{
			AllocationId: eip.ID(),
			SubnetId:     pub.ID(),
		}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return fmt.Errorf("nat gateway: %w", err)
		}
		route.NatGatewayId = nat.ID()
	} else {
		eni, err := newNatInstance(ctx, name, args.NatAMI, v, pub, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return err
		}
		route.NetworkInterfaceId = eni
	}
	for i, rt := range private {
		r := *route
		r.RouteTableId = rt.ID()
		if _, err := ec2.NewRoute(ctx, fmt.Sprintf("%s-private-%d-default", name, i+1), &r, parent); err != nil {
			return fmt.Errorf("private default route: %w", err)
		}
	}
	return nil
}

// natUserData turns an Amazon Linux 2023 instance into a NAT: IPv4 forwarding on, and
// nftables masquerading everything leaving the default-route interface.
const natUserData = `#!/bin/bash
set -euo pipefail
dnf install -y nftables
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-lambdabridge-nat.conf
sysctl -w net.ipv4.ip_forward=1
IF=$(ip route show default | awk '{print $5; exit}')
nft add table ip nat
nft add chain ip nat postrouting '{ type nat hook postrouting priority 100 ; }'
nft add rule ip nat postrouting oifname "$IF" masquerade
nft list ruleset > /etc/sysconfig/nftables.conf
systemctl enable --now nftables
`

// natAMIName matches the Amazon Linux 2023 arm64 AMIs (minimal images excluded).
const natAMIName = "al2023-ami-2023.*-kernel-*-arm64"

// newNatInstance creates the NAT instance on image pinned, or, when pinned is empty, on the
// newest Amazon Linux 2023 image at creation: ignoreChanges on the image then keeps that
// one, because a new image forces a replacement (an egress outage and a new public IP) and
// AWS publishes one every few weeks. Setting natAmi upgrades on request.
func newNatInstance(ctx *pulumi.Context, name, pinned string, v *ec2.Vpc, pub *ec2.Subnet, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	var zero pulumi.StringOutput
	image := pinned
	instOpts := opts
	if image == "" {
		mostRecent := true
		ami, err := ec2.LookupAmi(ctx, &ec2.LookupAmiArgs{
			MostRecent: &mostRecent,
			Owners:     []string{"amazon"},
			Filters: []ec2.GetAmiFilter{
				{Name: "name", Values: []string{natAMIName}},
				{Name: "architecture", Values: []string{planner.NATInstanceArchitecture}},
				{Name: "virtualization-type", Values: []string{"hvm"}},
			},
		})
		if err != nil {
			return zero, fmt.Errorf("nat instance AMI (%s): %w", natAMIName, err)
		}
		image = ami.Id
		instOpts = append(append([]pulumi.ResourceOption{}, opts...), pulumi.IgnoreChanges([]string{"ami"}))
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-nat", &ec2.SecurityGroupArgs{
		VpcId:       v.ID(),
		Description: pulumi.String("lambdabridge NAT instance: forward from the VPC to the internet"),
	}, opts...)
	if err != nil {
		return zero, fmt.Errorf("nat security group: %w", err)
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-nat-from-vpc", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: sg.ID(),
		Description:     pulumi.String("traffic to forward, from the VPC only"),
		IpProtocol:      pulumi.String("-1"),
		CidrIpv4:        pulumi.String(vpcCIDR),
	}, opts...); err != nil {
		return zero, fmt.Errorf("nat ingress rule: %w", err)
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-nat-to-internet", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: sg.ID(),
		Description:     pulumi.String("forwarded traffic and package installs"),
		IpProtocol:      pulumi.String("-1"),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
	}, opts...); err != nil {
		return zero, fmt.Errorf("nat egress rule: %w", err)
	}
	inst, err := ec2.NewInstance(ctx, name+"-nat", &ec2.InstanceArgs{
		Ami:          pulumi.String(image),
		InstanceType: pulumi.String(planner.NATInstanceType),
		// The root volume the planner prices (NATInstanceDiskGB of gp3). Size and type
		// change in place; encryption is left to the account default, because changing
		// it would replace the instance.
		RootBlockDevice: &ec2.InstanceRootBlockDeviceArgs{
			VolumeSize: pulumi.Int(planner.NATInstanceDiskGB),
			VolumeType: pulumi.String("gp3"),
		},
		SubnetId:                 pub.ID(),
		AssociatePublicIpAddress: pulumi.Bool(true),
		SourceDestCheck:          pulumi.Bool(false),
		VpcSecurityGroupIds:      pulumi.StringArray{sg.ID()},
		UserData:                 pulumi.String(natUserData),
		UserDataReplaceOnChange:  pulumi.Bool(true),
		MetadataOptions: &ec2.InstanceMetadataOptionsArgs{
			HttpTokens: pulumi.String("required"),
		},
		Tags: pulumi.StringMap{"Name": pulumi.Sprintf("%s-nat", name)},
	}, instOpts...)
	if err != nil {
		return zero, fmt.Errorf("nat instance: %w", err)
	}
	return inst.PrimaryNetworkInterfaceId, nil
}

// ipv6Subnet returns the index-th /64 of a VPC's /56 IPv6 block.
func ipv6Subnet(block string, index int) (string, error) {
	p, err := netip.ParsePrefix(block)
	if err != nil {
		return "", fmt.Errorf("vpc ipv6 block %q: %w", block, err)
	}
	if !p.Addr().Is6() || p.Bits() > 64-8 {
		return "", fmt.Errorf("vpc ipv6 block %q: want an IPv6 prefix of /56 or shorter", block)
	}
	if index < 0 || index > 255 {
		return "", fmt.Errorf("ipv6 subnet index %d: want 0-255", index)
	}
	b := p.Masked().Addr().As16()
	b[7] |= byte(index) // bits 56-63 of a /56 select the /64
	return netip.PrefixFrom(netip.AddrFrom16(b), 64).String(), nil
}
