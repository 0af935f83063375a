// opsbot on Azure: Azure Bot (Teams channel) -> Container Apps (user-assigned identity)
// -> PostgreSQL flexible server; secrets in Key Vault; logs in Log Analytics; App Insights.
// Deploy: see infra/README.md. Every setting the app reads is set below under the same name
// (tests/test_infra.py compares this file with teams_bot.settings.Settings).

targetScope = 'resourceGroup'

@description('Azure region for everything except the bot registration (global).')
param location string = resourceGroup().location

@description('Prefix of resource names (letters and digits, starting with a letter); lowercased, as Container Apps and PostgreSQL names must be.')
@minLength(3)
@maxLength(12)
param namePrefix string = 'opsbot'

@description('Container image, e.g. myregistry.azurecr.io/teams-bot:0.1.0 (built from infra/Dockerfile), in the registry below.')
param image string

@description('Resource id of the existing Azure Container Registry holding the image (az acr show --name <acr> --query id -o tsv). The app\'s identity is granted AcrPull on it before the app is created.')
param registryId string

@description('How the bot authenticates: UserAssignedMSI (recommended: the managed identity, no password), SingleTenant (an app registration in your tenant), or MultiTenant (only to redeploy a bot created as multi-tenant before August 2025: Azure Bot Service no longer creates them). msaAppId, msaAppType and msaAppTenantId are fixed when the bot is created: switching means deleting and recreating the bot.')
@allowed(['SingleTenant', 'UserAssignedMSI', 'MultiTenant'])
param microsoftAppType string = 'SingleTenant'

@description('Client id of the bot\'s app registration; ignored for UserAssignedMSI (the identity\'s client id is used).')
param microsoftAppId string = ''

@description('Client secret of the app registration; stored in Key Vault. Empty for UserAssignedMSI.')
@secure()
param microsoftAppPassword string = ''

@description('Tenant of the app registration or identity and of the users (required for SingleTenant and UserAssignedMSI; Graph group look-ups need it).')
param microsoftAppTenantId string = tenant().tenantId

@description('HMAC key for card actions, at least 16 characters; stored in Key Vault.')
@secure()
@minLength(16)
param actionSecret string

@description('Optional bearer token for scraping GET /metrics from outside the container; stored in Key Vault.')
@secure()
param metricsToken string = ''

@description('PostgreSQL administrator login and password (the app connects with them over TLS).')
param postgresAdminLogin string = 'teamsbot'
@secure()
@minLength(12)
param postgresAdminPassword string

param postgresSkuName string = 'Standard_B1ms'
@allowed(['Burstable', 'GeneralPurpose', 'MemoryOptimized'])
param postgresTier string = 'Burstable'
param postgresVersion string = '16'
param postgresStorageGB int = 32
param databaseName string = 'teamsbot'

@description('PostgreSQL schema for the bot\'s tables; empty for the default (public).')
param databaseSchema string = ''

@description('Contents of the policy file (roles, bindings); empty for the built-in default policy. Stored in Key Vault; secure, so it is not kept in the deployment history.')
@secure()
param policyToml string = ''

@description('Contents of the automation config file; empty for none. Stored in Key Vault.')
@secure()
param configToml string = ''

@description('More secrets as environment variables, e.g. tokens the config file names (token_env, a job\'s env) or alert source secrets: [{ env: \'INVENTORY_TOKEN\', secret: \'inventory-token\' }]. Create the Key Vault secrets first.')
param extraSecrets array = []

@description('Tenants whose users may talk to the bot; empty allows any tenant.')
param allowedTenants array = [tenant().tenantId]

@description('Channels (activity channelId) that may run commands and press buttons.')
param allowedChannels array = ['msteams']

@description('Days after which closed cards, buttons and decided approvals are pruned (the audit log never is).')
@minValue(1)
@maxValue(3650)
param retentionDays int = 30

param botName string = 'opsbot'
param botDisplayName string = 'opsbot'
@allowed(['F0', 'S1'])
param botSku string = 'F0'

@allowed(['DEBUG', 'INFO', 'WARNING', 'ERROR'])
param logLevel string = 'INFO'
param turnDeadlineSeconds string = '8'
param actionTtlMinutes int = 60
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'
@description('Authority for Graph tokens; empty for login.microsoftonline.com/<tenant>.')
param graphAuthority string = ''
param graphCacheSeconds int = 300

@description('Sovereign clouds only (botbuilder\'s settings); leave empty for the public cloud.')
param channelService string = ''
param toBotFromChannelOpenIdMetadataUrl string = ''
param toBotFromChannelTokenIssuer string = ''
param toChannelFromBotLoginUrl string = ''
param toChannelFromBotOAuthScope string = ''

@minValue(1)
param minReplicas int = 1
@minValue(1)
param maxReplicas int = 3

@description('Appended to the Key Vault name (letters and digits). The name is otherwise the same for the same resource group and prefix, and a deleted vault keeps its name for 90 days (purge protection): set this to deploy next to a soft-deleted vault, see infra/README.md.')
@maxLength(6)
param vaultNameSuffix string = ''

@description('Object id of whoever stores extra secrets in the vault (az keyvault secret set): granted Key Vault Secrets Officer on this vault. Empty for nobody.')
param secretsOfficerPrincipalId string = ''

@allowed(['User', 'Group', 'ServicePrincipal'])
param secretsOfficerPrincipalType string = 'User'

param tags object = {}

var prefix = toLower(namePrefix)
var suffix = uniqueString(resourceGroup().id, prefix)
var vaultBase = '${prefix}kv${suffix}'
var vaultName = '${take(vaultBase, 24 - length(vaultNameSuffix))}${toLower(vaultNameSuffix)}'
var isMsi = microsoftAppType == 'UserAssignedMSI'
var isMultiTenant = microsoftAppType == 'MultiTenant'
var port = 3978
var configDir = '/etc/teams-bot'
// Built-in role definition ids (Azure built-in roles: Security).
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
// /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>
var registryParts = split(registryId, '/')

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-id'
  location: location
  tags: tags
}

resource logs 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: '${prefix}-logs-${suffix}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${prefix}-ai-${suffix}'
  location: location
  kind: 'web'
  tags: tags
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

// --- the registry: the identity may pull, granted before the app exists (it pulls at creation) ---

module acrPull 'modules/acr-pull.bicep' = {
  name: 'acr-pull-${suffix}'
  scope: resourceGroup(registryParts[2], registryParts[4])
  params: {
    registryName: last(registryParts)
    principalId: identity.properties.principalId
  }
}

// --- Key Vault: RBAC only; the app's identity may read secrets, nothing else ---

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
  }
}

resource secretsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// `az keyvault secret set` (extraSecrets) needs a data-plane role: nothing else grants one.
resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(secretsOfficerPrincipalId)) {
  name: guid(vault.id, secretsOfficerPrincipalId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: secretsOfficerPrincipalId
    principalType: secretsOfficerPrincipalType
  }
}

resource appPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!isMsi) {
  parent: vault
  name: 'microsoft-app-password'
  properties: { value: microsoftAppPassword }
}

resource actionSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'action-secret'
  properties: { value: actionSecret }
}

resource metricsTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(metricsToken)) {
  parent: vault
  name: 'metrics-token'
  properties: { value: metricsToken }
}

resource databaseUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'database-url'
  properties: {
    value: 'postgresql+asyncpg://${uriComponent(postgresAdminLogin)}:${uriComponent(postgresAdminPassword)}@${postgres.properties.fullyQualifiedDomainName}:5432/${databaseName}?ssl=require'
  }
}

resource policySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(policyToml)) {
  parent: vault
  name: 'policy-toml'
  properties: { value: policyToml }
}

resource configSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(configToml)) {
  parent: vault
  name: 'config-toml'
  properties: { value: configToml }
}

// --- PostgreSQL flexible server: shared by every replica; TLS required ---

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: '${prefix}-pg-${suffix}'
  location: location
  tags: tags
  sku: { name: postgresSkuName, tier: postgresTier }
  properties: {
    version: postgresVersion
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    storage: { storageSizeGB: postgresStorageGB }
    backup: { backupRetentionDays: 7, geoRedundantBackup: 'Disabled' }
    highAvailability: { mode: 'Disabled' }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: postgres
  name: databaseName
  properties: { charset: 'UTF8', collation: 'en_US.utf8' }
}

// Public endpoint open to Azure's address space (Container Apps' outbound addresses vary).
// Trade-off: 0.0.0.0 admits clients running in ANY Azure tenant, not only this app; what keeps
// them out is the admin password (random, in Key Vault) and TLS. For a private server, use a
// VNet-integrated Container Apps environment and private access (see infra/README.md).
// After the database: the server rejects concurrent operations (ServerBusy).
resource azureServices 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: postgres
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: { startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' }
  dependsOn: [
    database
  ]
}

// --- the app's settings: every name teams_bot.settings.Settings reads ---
// Empty values are dropped so the app's own default applies.
// Not set here on purpose: TEAMS_BOT_DANGEROUSLY_ALLOW_UNAUTHENTICATED_REMOTE (never in Azure).

var plainSettings = [
  { name: 'MicrosoftAppId', value: isMsi ? identity.properties.clientId : microsoftAppId }
  { name: 'MicrosoftAppType', value: microsoftAppType }
  { name: 'MicrosoftAppTenantId', value: microsoftAppTenantId }
  { name: 'CHANNEL_SERVICE', value: channelService }
  { name: 'TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL', value: toBotFromChannelOpenIdMetadataUrl }
  { name: 'TO_BOT_FROM_CHANNEL_TOKEN_ISSUER', value: toBotFromChannelTokenIssuer }
  { name: 'TO_CHANNEL_FROM_BOT_LOGIN_URL', value: toChannelFromBotLoginUrl }
  { name: 'TO_CHANNEL_FROM_BOT_OAUTH_SCOPE', value: toChannelFromBotOAuthScope }
  { name: 'TEAMS_BOT_HOST', value: '0.0.0.0' }
  { name: 'TEAMS_BOT_PORT', value: string(port) }
  { name: 'TEAMS_BOT_DATA_DIR', value: '/home/app/data' }
  { name: 'TEAMS_BOT_DATABASE_SCHEMA', value: databaseSchema }
  { name: 'TEAMS_BOT_POLICY_FILE', value: empty(policyToml) ? '' : '${configDir}/policy.toml' }
  { name: 'TEAMS_BOT_CONFIG_FILE', value: empty(configToml) ? '' : '${configDir}/config.toml' }
  { name: 'TEAMS_BOT_LOG_FORMAT', value: 'json' }
  { name: 'TEAMS_BOT_LOG_LEVEL', value: logLevel }
  { name: 'TEAMS_BOT_BOT_NAME', value: botName }
  { name: 'TEAMS_BOT_TURN_DEADLINE_SECONDS', value: turnDeadlineSeconds }
  { name: 'TEAMS_BOT_ALLOWED_TENANTS', value: join(allowedTenants, ',') }
  { name: 'TEAMS_BOT_ALLOWED_CHANNELS', value: join(allowedChannels, ',') }
  { name: 'TEAMS_BOT_ACTION_TTL_MINUTES', value: string(actionTtlMinutes) }
  { name: 'TEAMS_BOT_GRAPH_BASE_URL', value: graphBaseUrl }
  { name: 'TEAMS_BOT_GRAPH_AUTHORITY', value: graphAuthority }
  { name: 'TEAMS_BOT_GRAPH_CACHE_SECONDS', value: string(graphCacheSeconds) }
  { name: 'TEAMS_BOT_APPROVAL_SCAN_SECONDS', value: '15' }
  { name: 'TEAMS_BOT_RETENTION_DAYS', value: string(retentionDays) }
]

var secretSettings = concat(
  isMsi ? [] : [{ name: 'MicrosoftAppPassword', secretRef: 'microsoft-app-password' }],
  empty(metricsToken) ? [] : [{ name: 'TEAMS_BOT_METRICS_TOKEN', secretRef: 'metrics-token' }],
  [
    { name: 'TEAMS_BOT_ACTION_SECRET', secretRef: 'action-secret' }
    { name: 'TEAMS_BOT_DATABASE_URL', secretRef: 'database-url' }
  ],
  map(extraSecrets, s => { name: s.env, secretRef: s.secret })
)

// Container Apps secrets resolved from Key Vault (versionless: a restart picks up a rotation).
var vaultSecretNames = concat(
  isMsi ? [] : ['microsoft-app-password'],
  empty(metricsToken) ? [] : ['metrics-token'],
  ['action-secret', 'database-url'],
  empty(policyToml) ? [] : ['policy-toml'],
  empty(configToml) ? [] : ['config-toml'],
  map(extraSecrets, s => s.secret)
)

// The policy and config files: secrets mounted as files under configDir.
var fileSecrets = concat(
  empty(policyToml) ? [] : [{ secretRef: 'policy-toml', path: 'policy.toml' }],
  empty(configToml) ? [] : [{ secretRef: 'config-toml', path: 'config.toml' }]
)

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${prefix}-env'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${prefix}-app'
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: { external: true, targetPort: port, transport: 'auto', allowInsecure: false }
      // Pulls with the identity; acrPull.outputs makes the app wait for the AcrPull assignment.
      registries: [{ server: acrPull.outputs.loginServer, identity: identity.id }]
      secrets: map(vaultSecretNames, n => {
        name: n
        keyVaultUrl: '${vault.properties.vaultUri}secrets/${n}'
        identity: identity.id
      })
    }
    template: {
      containers: [
        {
          name: 'teams-bot'
          image: image
          resources: { cpu: json('0.5'), memory: '1Gi' }
          env: concat(filter(plainSettings, s => !empty(s.value)), secretSettings)
          volumeMounts: empty(fileSecrets) ? [] : [{ volumeName: 'config', mountPath: configDir }]
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: port }, periodSeconds: 30 }
            { type: 'Readiness', httpGet: { path: '/readyz', port: port }, periodSeconds: 10 }
          ]
        }
      ]
      volumes: empty(fileSecrets) ? [] : [{ name: 'config', storageType: 'Secret', secrets: fileSecrets }]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: [{ name: 'http', http: { metadata: { concurrentRequests: '50' } } }]
      }
    }
  }
  dependsOn: [
    secretsReader
    appPasswordSecret
    actionSecretSecret
    metricsTokenSecret
    databaseUrlSecret
    policySecret
    configSecret
    database
    azureServices
  ]
}

// --- Azure Bot: the registration Teams talks to, with the Teams channel on ---

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: '${prefix}-bot-${suffix}'
  location: 'global'
  kind: 'azurebot'
  tags: tags
  sku: { name: botSku }
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${app.properties.configuration.ingress.fqdn}/api/messages'
    msaAppId: isMsi ? identity.properties.clientId : microsoftAppId
    msaAppType: microsoftAppType
    msaAppTenantId: isMultiTenant ? null : microsoftAppTenantId
    msaAppMSIResourceId: isMsi ? identity.id : null
    developerAppInsightKey: insights.properties.InstrumentationKey
    developerAppInsightsApplicationId: insights.properties.AppId
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: { isEnabled: true }
  }
}

// Availability test: /healthz from three regions, every 5 minutes. The test's kind is
// properties.Kind; the optional top-level kind is left out (as Azure Verified Modules do).
resource healthTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: '${prefix}-healthz'
  location: location
  tags: union(tags, { 'hidden-link:${insights.id}': 'Resource' })
  properties: {
    SyntheticMonitorId: '${prefix}-healthz'
    Name: '${prefix} /healthz'
    Kind: 'standard'
    Enabled: true
    Frequency: 300
    Timeout: 30
    RetryEnabled: true
    Locations: [
      { Id: 'us-va-ash-azr' }
      { Id: 'emea-nl-ams-azr' }
      { Id: 'apac-sg-sin-azr' }
    ]
    Request: {
      RequestUrl: 'https://${app.properties.configuration.ingress.fqdn}/healthz'
      HttpVerb: 'GET'
    }
    ValidationRules: { ExpectedHttpStatusCode: 200, SSLCheck: true }
  }
}

output messagingEndpoint string = bot.properties.endpoint
output appFqdn string = app.properties.configuration.ingress.fqdn
output botAppId string = bot.properties.msaAppId
output botResourceName string = bot.name
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output keyVaultName string = vault.name
output registryLoginServer string = acrPull.outputs.loginServer
output postgresHost string = postgres.properties.fullyQualifiedDomainName
output teamsChannel string = teamsChannel.name
