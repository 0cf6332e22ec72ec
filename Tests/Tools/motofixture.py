#!/usr/bin/env python3
"""Prepare a moto server for the EC2 tests and print what was created as JSON.

Usage: motofixture.py ENDPOINT [--iam] [--instances N] [--network A.B]

With --iam (moto started with INITIAL_NO_AUTH_ACTION_COUNT=3) the first three free calls
create an administrator (user, policy, access key) that builds the fixture; everything after is
signed, so moto verifies signatures and IAM. The administrator then creates the user "vpcrouter"
whose only policy is docs/iam-policy.json, the minimum the README documents: its key
(routerAccessKeyId, routerSecretAccessKey) is the one the daemon runs with. The role
"vpcrouter-role" carries the same policy; the temporary credentials of one session of it
(sessionAccessKeyId, sessionSecretAccessKey, sessionToken) test the daemon with a session token.
Then it builds one VPC 10.0.0.0/16 (A.B.0.0/16 with --network) with:
  * subnet_a 10.0.1.0/24 (us-east-1a) and subnet_b 10.0.2.0/24 (us-east-1b)
  * router_a 10.0.1.10 in subnet_a, source/dest check off on its ENI
  * router_b 10.0.2.20 in subnet_b
  * router_c 10.0.1.30 with a second ENI 10.0.2.31 in subnet_b (device index 1)
  * router_d 10.0.1.40 with the secondary private IP 10.0.1.41
  * route tables rtb_a (subnet_a) and rtb_b (subnet_b), besides the main table
  * dual stack: subnet_a carries fd00:A:B:1::/64 and subnet_b fd00:A:B:2::/64 (ULA: moto cannot
    give the VPC a chosen IPv6 block, but takes any /64 on a subnet), router_a's ENI holds
    fd00:A:B:1::10 and router_b's fd00:A:B:2::20 (run_instances ignores Ipv6Addresses in moto,
    so they are assigned after launch)
--instances N adds N more plain instances in subnet_a (for pagination).

scripts/vpclab.py (the demo and the benchmarks) imports build_fixture() from here.
"""
import argparse
import json
import os
import sys

import boto3

REGION = "us-east-1"
# The policy the README documents for the daemon: one file, read by the docs' readers and by this fixture.
POLICY_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "iam-policy.json")


def client(service, endpoint, key, secret):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint,
                        aws_access_key_id=key, aws_secret_access_key=secret)


def create_iam_keys(endpoint):
    """The administrator's key (from the three free calls), then the daemon's, limited to the documented policy."""
    bootstrap = client("iam", endpoint, "bootstrap", "bootstrap")
    bootstrap.create_user(UserName="fixture-admin")
    bootstrap.put_user_policy(UserName="fixture-admin", PolicyName="admin", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }))
    admin = bootstrap.create_access_key(UserName="fixture-admin")["AccessKey"]
    iam = client("iam", endpoint, admin["AccessKeyId"], admin["SecretAccessKey"])
    iam.create_user(UserName="vpcrouter")
    with open(POLICY_FILE) as policy:
        iam.put_user_policy(UserName="vpcrouter", PolicyName="vpcrouter", PolicyDocument=policy.read())
    router = iam.create_access_key(UserName="vpcrouter")["AccessKey"]
    iam.create_role(RoleName="vpcrouter-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }))
    with open(POLICY_FILE) as policy:
        iam.put_role_policy(RoleName="vpcrouter-role", PolicyName="vpcrouter", PolicyDocument=policy.read())
    sts = client("sts", endpoint, admin["AccessKeyId"], admin["SecretAccessKey"])
    role = iam.get_role(RoleName="vpcrouter-role")["Role"]["Arn"]
    session = sts.assume_role(RoleArn=role, RoleSessionName="vpcrouter-session")["Credentials"]
    return ((admin["AccessKeyId"], admin["SecretAccessKey"]), (router["AccessKeyId"], router["SecretAccessKey"]),
            (session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]))


def run(ec2, image, subnet, address):
    reservation = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                    SubnetId=subnet, PrivateIpAddress=address)
    instance = reservation["Instances"][0]
    return instance["InstanceId"], instance["NetworkInterfaces"][0]["NetworkInterfaceId"]


def build_fixture(ec2, network="10.0", instances=0):
    """Builds the standard VPC in network A.B.0.0/16 and returns the ids by name."""
    def address(rest):
        return "%s.%s" % (network, rest)

    vpc = ec2.create_vpc(CidrBlock=address("0.0/16"))["Vpc"]["VpcId"]
    subnet_a = ec2.create_subnet(VpcId=vpc, CidrBlock=address("1.0/24"), AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    subnet_b = ec2.create_subnet(VpcId=vpc, CidrBlock=address("2.0/24"), AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]

    router_a, eni_a = run(ec2, image, subnet_a, address("1.10"))
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_a, SourceDestCheck={"Value": False})
    router_b, eni_b = run(ec2, image, subnet_b, address("2.20"))
    router_c, eni_c = run(ec2, image, subnet_a, address("1.30"))
    eni_c2 = ec2.create_network_interface(SubnetId=subnet_b, PrivateIpAddress=address("2.31"))["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=eni_c2, InstanceId=router_c, DeviceIndex=1)
    router_d, eni_d = run(ec2, image, subnet_a, address("1.40"))
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_d, PrivateIpAddresses=[address("1.41")])
    extra = [run(ec2, image, subnet_a, address("1.%d" % (100 + index)))[0] for index in range(instances)]

    ipv6_prefix = "fd00:%s:%s" % tuple(network.split("."))
    ec2.associate_subnet_cidr_block(SubnetId=subnet_a, Ipv6CidrBlock=ipv6_prefix + ":1::/64")
    ec2.associate_subnet_cidr_block(SubnetId=subnet_b, Ipv6CidrBlock=ipv6_prefix + ":2::/64")
    router_a_ipv6, router_b_ipv6 = ipv6_prefix + ":1::10", ipv6_prefix + ":2::20"
    ec2.assign_ipv6_addresses(NetworkInterfaceId=eni_a, Ipv6Addresses=[router_a_ipv6])
    ec2.assign_ipv6_addresses(NetworkInterfaceId=eni_b, Ipv6Addresses=[router_b_ipv6])

    rtb_a = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb_a, SubnetId=subnet_a)
    rtb_b = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb_b, SubnetId=subnet_b)
    main_table = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]

    return {
        "region": REGION, "vpcId": vpc, "imageId": image,
        "subnetA": subnet_a, "subnetB": subnet_b,
        "routerA": router_a, "eniA": eni_a, "routerB": router_b, "eniB": eni_b,
        "routerAIPv6": router_a_ipv6, "routerBIPv6": router_b_ipv6,
        "routerC": router_c, "eniC": eni_c, "eniC2": eni_c2, "routerD": router_d, "eniD": eni_d,
        "extraInstances": extra,
        "routeTableA": rtb_a, "routeTableB": rtb_b, "mainRouteTable": main_table,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoint")
    parser.add_argument("--iam", action="store_true")
    parser.add_argument("--instances", type=int, default=0)
    parser.add_argument("--network", default="10.0", help="first two octets of the VPC's /16")
    args = parser.parse_args()
    if args.iam:
        (key, secret), (router_key, router_secret), session = create_iam_keys(args.endpoint)
    else:
        key, secret = router_key, router_secret = "testing", "testing"
        session = ("testing", "testing", "")
    fixture = build_fixture(client("ec2", args.endpoint, key, secret), args.network, args.instances)
    json.dump(dict(fixture, accessKeyId=key, secretAccessKey=secret,
                   routerAccessKeyId=router_key, routerSecretAccessKey=router_secret,
                   sessionAccessKeyId=session[0], sessionSecretAccessKey=session[1], sessionToken=session[2]), sys.stdout)


if __name__ == "__main__":
    main()
