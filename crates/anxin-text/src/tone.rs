//! Reply tone check: flags impatient, blaming, dismissive, refusing, sarcastic or cold wording in an agent's draft,
//! lists what this customer's emotion needs that the draft lacks, scores it and proposes a rewrite.
