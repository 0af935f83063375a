// AcrPull for the app's identity on an existing registry, in the registry's own resource group
// (a role assignment must be deployed at the scope of what it grants: hence a module).

targetScope = 'resourceGroup'

@description('Name of the existing container registry (in this module\'s resource group).')
param registryName string

@description('Principal (object) id of the identity that pulls images.')
param principalId string

// Built-in role AcrPull: "Pull artifacts from a container registry".
var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output loginServer string = registry.properties.loginServer
output roleAssignmentId string = pull.id
