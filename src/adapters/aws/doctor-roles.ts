/** MGN's service roles (InitializeService creates them; the launching functions pass them to EC2). */
export const MGN_SERVICE_ROLE_NAMES = ['AWSApplicationMigrationConversionServerRole', 'AWSApplicationMigrationLaunchInstanceWithDrsRole', 'AWSApplicationMigrationLaunchInstanceWithSsmRole'];

/** The e-mail endpoints subscribed to a topic: confirmed, and still pending confirmation. */
export async function confirmedEmails(topicArn: string): Promise<{ confirmed: string[]; pending: string[] }> {
  const { SNSClient, ListSubscriptionsByTopicCommand } = await import('@aws-sdk/client-sns');
  const sns = new SNSClient({});
  const confirmed: string[] = [];
  const pending: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, ...(token ? { NextToken: token } : {}) }));
      for (const s of page.Subscriptions ?? []) {
        if (s.Protocol !== 'email' && s.Protocol !== 'email-json') continue;
        if (!s.SubscriptionArn || s.SubscriptionArn === 'PendingConfirmation') pending.push(String(s.Endpoint));
        else confirmed.push(String(s.Endpoint));
      }
      token = page.NextToken;
    } while (token);
    return { confirmed, pending };
  } finally {
    sns.destroy();
  }
}
