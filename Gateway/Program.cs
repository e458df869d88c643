using ReHome.Gateway;

GatewayApp.Create(args).Run();
