import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { isRestoreSchedule } from "../components/naming";
import { BACKUP_MIN_AGE_MINUTES } from "../config/cron";
import { TYPE, type DeploymentFacts } from "../contracts/facts";
import { cronIntervalMinutes } from "./rpo";
import { ofType, requireFacts, shown } from "./support";

/**
 * gcp-metastore-backup-within-rpo
 *
 * Severity: high. Topic: disaster recovery, RPO (Hive metastore).
 *
 * The active site's Dataproc Metastore backs up on a schedule at least as often as the metastore
 * RPO. A hot standby (a passive site that has a service) restores the latest backup on an
 * unpaused Cloud Scheduler job; the metadata it can lose is a backup interval, the minutes a
 * backup ages before it is restored, a restore interval and a restore's timeout, which together
 * stay within the RPO.
 */
export const gcpMetastoreBackupWithinRpo: StackValidationPolicy = {
  name: "gcp-metastore-backup-within-rpo",
  description:
    "The active metastore backs up within the metastore RPO; a hot standby restores on an unpaused schedule, backup + backup age + restore + restore timeout within the RPO.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const facts = requireFacts(args, report);
    if (!facts) return;
    // A drill's scratch service backs nothing up and restores once: not the site's metastore.
    const scratch = new Set(facts.drill?.scratch ?? []);
    const services = ofType(args.resources, TYPE.metastoreService).filter(
      (s) => !scratch.has(s.name),
    );
    if (facts.role === "active") {
      if (services.length === 0) {
        report(`Create a metastore service on site '${facts.site}': it is active and has none`);
      }
      for (const service of services) checkBackup(service, facts, report);
    } else if (services.length > 0) {
      const restores = ofType(args.resources, TYPE.schedulerJob).filter((j) =>
        isRestoreSchedule(j.props.name),
      );
      checkRestore(services[0]!, restores, facts, report);
    }
  },
};

function checkBackup(service: PolicyResource, facts: DeploymentFacts, report: ReportViolation) {
  const backup = service.props.scheduledBackup;
  const rpo = facts.metastore.rpoMinutes;
  if (backup?.enabled !== true) {
    report(
      `Enable scheduledBackup on metastore service '${service.name}' (active site): enabled is ${shown(backup?.enabled)}`,
      service.urn,
    );
    return;
  }
  const cron = backup.cronSchedule;
  const every = cronIntervalMinutes(cron, backup.timeZone);
  if (every === undefined) {
    report(
      `Set a valid scheduledBackup.cronSchedule on metastore service '${service.name}': ${shown(cron)} is not a cron`,
      service.urn,
    );
  } else if (every > rpo) {
    report(
      `Back up metastore service '${service.name}' at least every ${rpo} minutes: cronSchedule ${cron} runs every ${every}; change metastore.backupEveryMinutes, or the target metastore.rpoMinutes`,
      service.urn,
    );
  }
}

function checkRestore(
  service: PolicyResource,
  jobs: PolicyResource[],
  facts: DeploymentFacts,
  report: ReportViolation,
) {
  if (jobs.length === 0) {
    report(
      `Schedule the metastore restore on site '${facts.site}' (passive hot standby): it has no Cloud Scheduler job`,
    );
    return;
  }
  // The peer backs up on the same schedule this site's service declares (one shared spec).
  const backup = service.props.scheduledBackup;
  const backupEvery =
    cronIntervalMinutes(backup?.cronSchedule, backup?.timeZone) ??
    facts.metastore.backupEveryMinutes;
  const rpo = facts.metastore.rpoMinutes;
  for (const job of jobs) {
    if (job.props.paused !== false) {
      report(
        `Unpause restore schedule '${job.name}' (passive hot standby): paused is ${shown(job.props.paused)}`,
        job.urn,
      );
    }
    const schedule = job.props.schedule;
    const restoreEvery = cronIntervalMinutes(schedule, job.props.timeZone);
    if (restoreEvery === undefined) {
      report(
        `Set a valid schedule on restore schedule '${job.name}': ${shown(schedule)} is not a cron`,
        job.urn,
      );
    } else {
      const timeout = facts.metastore.restoreTimeoutMinutes;
      const behind = backupEvery + BACKUP_MIN_AGE_MINUTES + restoreEvery + timeout;
      if (behind > rpo)
        report(
          `Restore metastore backups within ${rpo} minutes (metastore.rpoMinutes): backup every ${backupEvery} + ${BACKUP_MIN_AGE_MINUTES} minutes a backup ages + restore '${job.name}' every ${restoreEvery} + a restore of up to ${timeout} (metastore.restore.timeoutMinutes) = ${behind}`,
          job.urn,
        );
    }
  }
}
