//! Who may do what. The server checks [`Role::can`] on every endpoint; the UI only hides what the server forbids.

use crate::model::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadConversations,
    /// Reply to the customer.
    Reply,
    /// Internal notes, which the customer never sees.
    WriteNote,
    /// Status, priority, labels, and taking a conversation oneself.
    UpdateConversation,
    /// Assigning a conversation to someone else or to a team.
    AssignOthers,
    ReadCustomers,
    ManageCustomers,
    ReadDirectory,
    ManageUsers,
    ManageTeams,
    ManageChannels,
    ManageApiTokens,
    ManageSettings,
    ReadAudit,
    /// The live supervisor board: queues, waits, agents' availability and load, hot conversations.
    ViewBoard,
    /// The admin pages (users and roles, teams, channels, organisation settings in one place).
    Administer,
    /// Read and search published knowledge and scripts (everyone; agents also propose scripts, which the store
    /// checks per entry).
    ReadKnowledge,
    /// Write, publish, import and export knowledge; edit synonyms; see script statistics (leads).
    EditKnowledge,
}

impl Role {
    pub fn can(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Admin => true,
            Role::Supervisor => !matches!(action, ManageUsers | ManageChannels | ManageApiTokens | ManageSettings | Administer),
            Role::Agent => matches!(
                action,
                ReadConversations
                    | Reply
                    | WriteNote
                    | UpdateConversation
                    | ReadCustomers
                    | ManageCustomers
                    | ReadDirectory
                    | ReadKnowledge
            ),
            // Department handlers work on escalated cases: they read them and leave internal notes, but do not
            // talk to the customer directly (the agent owns the relationship).
            Role::Handler => matches!(action, ReadConversations | WriteNote | ReadCustomers | ReadDirectory | ReadKnowledge),
            Role::Trainer => matches!(action, ReadDirectory | ReadKnowledge),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    #[test]
    fn role_matrix() {
        let cases: &[(Role, Action, bool)] = &[
            (Role::Admin, ManageUsers, true),
            (Role::Admin, ReadAudit, true),
            (Role::Supervisor, AssignOthers, true),
            (Role::Supervisor, ReadAudit, true),
            (Role::Supervisor, ManageUsers, false),
            (Role::Supervisor, ManageChannels, false),
            (Role::Agent, Reply, true),
            (Role::Agent, AssignOthers, false),
            (Role::Agent, ReadAudit, false),
            (Role::Handler, WriteNote, true),
            (Role::Handler, Reply, false),
            (Role::Trainer, ReadConversations, false),
            (Role::Trainer, ReadDirectory, true),
            (Role::Admin, ViewBoard, true),
            (Role::Admin, Administer, true),
            (Role::Supervisor, ViewBoard, true),
            (Role::Supervisor, Administer, false),
            (Role::Agent, ViewBoard, false),
            (Role::Agent, Administer, false),
            (Role::Handler, ViewBoard, false),
            (Role::Trainer, Administer, false),
            (Role::Trainer, ReadKnowledge, true),
            (Role::Handler, ReadKnowledge, true),
            (Role::Agent, ReadKnowledge, true),
            (Role::Agent, EditKnowledge, false),
            (Role::Handler, EditKnowledge, false),
            (Role::Supervisor, EditKnowledge, true),
            (Role::Admin, EditKnowledge, true),
        ];
        for &(role, action, expected) in cases {
            assert_eq!(role.can(action), expected, "{role} {action:?}");
        }
    }
}
