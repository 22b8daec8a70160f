# The string naming an object type ("contact", the path segment) is `segment` everywhere, as in prism_client and the sandbox.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dashboard', '0006_saved_views_combinator'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='savedview',
            options={'ordering': ['segment', 'name']},
        ),
        migrations.RemoveConstraint(
            model_name='savedview',
            name='saved_view_unique_name',
        ),
        migrations.RemoveIndex(
            model_name='auditentry',
            name='audit_record',
        ),
        migrations.RenameField(
            model_name='auditentry',
            old_name='object_type',
            new_name='segment',
        ),
        migrations.RenameField(
            model_name='bulkjob',
            old_name='object_type',
            new_name='segment',
        ),
        migrations.RenameField(
            model_name='importrun',
            old_name='object_type',
            new_name='segment',
        ),
        migrations.RenameField(
            model_name='savedview',
            old_name='object_type',
            new_name='segment',
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['segment', 'record_id', '-created_at'], name='audit_record'),
        ),
        migrations.AddConstraint(
            model_name='savedview',
            constraint=models.UniqueConstraint(fields=('owner', 'segment', 'name'), name='saved_view_unique_name'),
        ),
    ]
