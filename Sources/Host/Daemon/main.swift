print("vpcrouter: under construction")
